// cmh bench engine: sgemm, Conv2D, BatchNorm+ReLU and RMSprop throughput (Benchmarks/EngineBench).

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchEngineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "sgemm, Conv2D and BatchNorm+ReLU throughput of the engine.",
    discussion: "Example: cmh bench engine --repeats 7 --json")

  @Option(help: "Batch size for the layer measurements.") var batch = 32
  @Option(help: "Timed repetitions per figure (the median is reported).") var repeats = 3
  @Flag(help: "Small sizes only: a quick check that every measurement runs.") var quick = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func run() throws {
    MachineReport.printHeader(json: output.json)
    BenchTiming.report(try EngineBench(batch: batch, repeats: repeats, quick: quick).run(measured: output.measured), json: output.json)
  }
}
