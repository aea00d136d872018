// cmh bench train: training throughput — the text tower's step on tag bag-of-words rows (the
// figure PyTorch's mlp4096x2_train measures), a full epoch of the demo recipe on the shapes corpus,
// and ResNet-34 at 224² inside the alternating loop, in pairs/s.

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchTrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Training throughput: text tower step, shapes-corpus epoch, ResNet-34 at 224² (pairs/s).",
    discussion: "Example: cmh bench train --json")

  @Option(help: "Timed repetitions of the text tower step (the median is reported, and the fastest as `best`).") var repeats = 5
  @Flag(help: "Small sizes only: a quick check that every measurement runs.") var quick = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    MachineReport.printHeader(json: output.json)
    BenchTiming.report(try TrainBench(repeats: repeats, quick: quick).run(measured: output.measured), json: output.json)
  }
}
