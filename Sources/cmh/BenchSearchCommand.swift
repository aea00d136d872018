// cmh bench search: Hamming search and MAP evaluation throughput (Benchmarks/SearchBench).

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchSearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Hamming search and MAP evaluation throughput.",
    discussion: "Example: cmh bench search --database 1000000 --queries 1000 -k 100")

  @Option(help: "Database size.") var database = 1_000_000
  @Option(help: "Queries per measurement.") var queries = 1000
  @Option(help: "Neighbours per query.") var k = 100
  @Option(help: "Timed repetitions per figure (the median is reported; top-k rates also give the fastest as `best`).") var repeats = 3
  @OptionGroup var output: OutputOptions

  func run() throws {
    MachineReport.printHeader(json: output.json)
    BenchTiming.report(try SearchBench(database: database, queries: queries, k: k, repeats: repeats).run(measured: output.measured), json: output.json)
  }
}
