// cmh bench image: ResNet-34 training steps (forward, backward, RMSprop) and inference, in images/s.
// Compare with PyTorch measured in the same session (`make bench-reference`): figures recorded on
// another day drift too far (the recorded 4.05 images/s ran at 7.1 on the same kind of machine later).

import ArgumentParser
import Foundation
import ImageNet
import Tensor

struct BenchImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image",
    abstract: "ResNet-34 training step and inference throughput (images/s).")

  @Option(help: "Training batch size.") var batch = 32
  @Option(help: "Inference batch size.") var inferenceBatch = 64
  @Option(help: "Timed repetitions per figure (the median is reported, and the fastest as `best`).") var repeats = 5
  @Option(help: "Image sides of the training step, comma-separated.") var sizes = "224,128"
  @Flag(help: "Skip the inference figure.") var noInference = false
  @Flag(help: "Small sizes only: a quick check that every measurement runs.") var quick = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    var g = RandomGenerator(seed: 1)
    let model = ResNet.resnet34(bits: 64, generator: &g)
    let optimizer = RMSprop(groups: [ParameterGroup(model.namedParameters(), learningRate: 1e-4)])
    var results = [BenchResult]()
    for side in quick ? [32] : try ModelOptions.sizes(sizes, "--sizes") {
      let n = quick ? 2 : batch
      let x = g.normal([n, 3, side, side])
      model.setTraining(true)
      let seconds = BenchTiming.times(repeats: repeats) {
        let y = model.forward(x)
        optimizer.zeroGradients()
        _ = model.backward(y)  // the gradient of ½‖y‖²: any loss costs the same
        optimizer.step()
      }
      results.append(result("resnet34.train_step", n, seconds, side: side))
      progress(results.last!)
    }
    if noInference { return BenchTiming.report(results, json: output.json) }
    let n = quick ? 2 : inferenceBatch, side = quick ? 32 : 224
    let x = g.normal([n, 3, side, side])
    model.setTraining(false)
    let seconds = BenchTiming.times(repeats: repeats) { _ = model.forward(x) }
    results.append(result("resnet34.inference", n, seconds, side: side))
    BenchTiming.report(results, json: output.json)
  }

  /// Images/s of the median run; `best` is the rate of the fastest.
  private func result(_ name: String, _ batch: Int, _ seconds: (median: Double, best: Double), side: Int) -> BenchResult {
    BenchResult(name: name, unit: "images/s", value: Double(batch) / seconds.median,
                parameters: [("best", String(format: "%.2f", Double(batch) / seconds.best)), ("size", "\(side)"), ("batch", "\(batch)"),
                             ("threads", "\(Threads.count)")])
  }

  private func progress(_ r: BenchResult) {
    guard !output.quiet && !output.json && isatty(STDERR_FILENO) == 1 else { return }
    FileHandle.standardError.write("measured \(r.name) …\n".data(using: .utf8)!)
  }
}
