// cmh bench train: training throughput in pairs/s (Benchmarks/TrainBench).

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
  @OptionGroup var precision: PrecisionOption

  func run() throws {
    MachineReport.printHeader(json: output.json)
    BenchTiming.report(try TrainBench(repeats: repeats, quick: quick).run(measured: output.measured), json: output.json)
  }
}
