// cmh bench image: ResNet-34 training steps (forward, backward, RMSprop) and inference, in images/s.
// Compare with PyTorch measured in the same session (`make bench-reference`): figures recorded on
// another day drift too far (the recorded 4.05 images/s ran at 7.1 on the same kind of machine later).

import ArgumentParser
import Corpus
import Foundation
import ImageNet
import Model
import Platform
import Tensor
import Training

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

  func run() throws {
    MachineReport.printHeader(json: output.json)
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
      output.measured(results.last!)
    }
    results.append(try decoding(count: quick ? 8 : 128, side: quick ? 32 : 224))
    if noInference { return BenchTiming.report(results, json: output.json) }
    let n = quick ? 2 : inferenceBatch, side = quick ? 32 : 224
    let x = g.normal([n, 3, side, side])
    model.setTraining(false)
    let seconds = BenchTiming.times(repeats: repeats) { _ = model.infer(x) }
    results.append(result("resnet34.inference", n, seconds, side: side))
    BenchTiming.report(results, json: output.json)
  }

  /// JPEG decoding and preprocessing (resize, center crop) on all threads, of photo-sized files
  /// (500×375, quality 90, smooth shapes with noise) written for the measurement.
  private func decoding(count: Int, side: Int) throws -> BenchResult {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-bench-jpeg-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var g = RandomGenerator(seed: 2)
    let urls = try (0..<count).map { i -> URL in
      let (w, h) = (500, 375)
      var pixels = [UInt8](repeating: 0, count: w * h * 3)
      let (cx, cy, r) = (Float(g.nextInt(below: w)), Float(g.nextInt(below: h)), Float(40 + g.nextInt(below: 120)))
      for y in 0..<h {
        for x in 0..<w {
          let inside = (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy) < r * r
          for c in 0..<3 {
            let base = inside ? 60 + 60 * c : 200 - 50 * c + (x + y) / 8 % 40
            pixels[(y * w + x) * 3 + c] = UInt8(clamping: base + g.nextInt(below: 24))
          }
        }
      }
      let url = folder.appendingPathComponent("photo\(i).jpg")
      try JPEG.encode(RGBImage(width: w, height: h, pixels: pixels), quality: 90).write(to: url)
      return url
    }
    _ = try ImageInputs.decode(urls, size: side)  // a decoding error surfaces here: the timing loop cannot throw
    let seconds = BenchTiming.times(repeats: repeats) { _ = try? ImageInputs.decode(urls, size: side) }
    return result("jpeg.decode_preprocess", count, seconds, side: side)
  }

  /// Images/s of the median run; `best` is the rate of the fastest.
  private func result(_ name: String, _ batch: Int, _ seconds: (median: Double, best: Double), side: Int) -> BenchResult {
    BenchResult(rate: name, unit: "images/s", items: batch, seconds: seconds,
                parameters: [("size", .int(side)), ("batch", .int(batch)), ("threads", .int(Threads.count))])
  }
}
