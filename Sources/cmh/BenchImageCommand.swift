// cmh bench image: ResNet-34 steps, inference and JPEG decoding in images/s (Benchmarks/ImageBench).

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image",
    abstract: "ResNet-34 training step and inference throughput, and JPEG decoding (images/s).",
    discussion: "Example: cmh bench image --sizes 224,128")

  @Option(help: "Training batch size.") var batch = 32
  @Option(help: "Inference batch size.") var inferenceBatch = 64
  @Option(help: "Timed repetitions per figure (the median is reported, and the fastest as `best`).") var repeats = 5
  @Option(help: "Image sides of the training step, comma-separated.") var sizes = "224,128"
  @Flag(help: "Skip the inference figure.") var noInference = false
  @Flag(help: "Small sizes only: a quick check that every measurement runs.") var quick = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func run() throws {
    MachineReport.printHeader(json: output.json)
    let bench = ImageBench(batch: batch, inferenceBatch: inferenceBatch, repeats: repeats, sizes: try ModelOptions.sizes(sizes, "--sizes"),
                           noInference: noInference, quick: quick)
    BenchTiming.report(try bench.run(measured: output.measured), json: output.json)
  }
}
