// cmh bench query: query encoding per image and per text, single and batched (Benchmarks/QueryBench).

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchQueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "Query encoding per image and per text, one at a time and batched (queries/s).",
    discussion: """
      Usage: cmh bench query MODEL [MODEL ...]. The first model is the reference of the speed-up column (give the gallery model first, then small query models from `cmh distill`).

      Example: cmh bench query cmh-demo/model-64.cmh small.cmh
      """)

  @Argument(help: "Model files; the first is the reference.") var models: [String]
  @Option(help: "Threads (1: the query side of an asymmetric deployment).") var threads = 1
  @Option(help: "Queries in a batch.") var batch = 64
  @Option(help: "Single queries per timed run.") var singles = 32
  @Option(help: "Timed repetitions per figure (the median is reported, and the fastest as `best`).") var repeats = 5
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard !models.isEmpty else { throw ValidationError("give at least one model file") }
    guard threads >= 1, batch >= 1, singles >= 1, repeats >= 1 else { throw ValidationError("--threads, --batch, --singles and --repeats must be at least 1") }
  }

  func run() throws {
    MachineReport.printHeader(json: output.json)
    let bench = QueryBench(models: models, threads: threads, batch: batch, singles: singles, repeats: repeats)
    BenchTiming.report(try bench.run(measured: output.measured), json: output.json)
  }
}
