// cmh bench engine: sgemm GFLOP/s (square, and the text tower's 128 × 4,096 × 4,096), Conv2D
// forward/backward GFLOP/s on ResNet-34's shapes, and BatchNorm+ReLU and the RMSprop update in GB/s
// beside a plain memory copy.

import ArgumentParser
import Foundation
import Platform
import Benchmarks

struct BenchEngineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "sgemm, Conv2D and BatchNorm+ReLU throughput of the engine.",
    discussion: "Example: cmh bench engine --repeats 7 --json")

  @Option(help: "Batch size for the layer measurements.") var batch = 32
  @Option(help: "Timed repetitions per figure (the median is reported).") var repeats = 3
  @Flag(help: "Small sizes only: a quick check that every measurement runs.") var quick = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    MachineReport.printHeader(json: output.json)
    BenchTiming.report(try EngineBench(batch: batch, repeats: repeats, quick: quick).run(measured: output.measured), json: output.json)
  }
}
