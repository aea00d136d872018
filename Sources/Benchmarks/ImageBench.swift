// ImageBench: ResNet-34 training steps (forward, backward, RMSprop) and inference in images/s, and
// JPEG decoding (`cmh bench image`). Compare with PyTorch measured in the same session (`make
// bench-reference`): figures recorded on another day drift too far.

import Corpus
import Foundation
import ImageNet
import Model
import Platform
import Tensor

public struct ImageBench {
  public var batch: Int, inferenceBatch: Int, repeats: Int, sizes: [Int], noInference: Bool, quick: Bool

  public init(batch: Int = 32, inferenceBatch: Int = 64, repeats: Int = 5, sizes: [Int] = [224, 128], noInference: Bool = false, quick: Bool = false) {
    (self.batch, self.inferenceBatch, self.repeats, self.sizes, self.noInference, self.quick) = (batch, inferenceBatch, repeats, sizes, noInference, quick)
  }

  public func run(measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    var g = RandomGenerator(seed: 1)
    let model = ResNet.resnet34(bits: 64, generator: &g)
    let optimizer = RMSprop(groups: [ParameterGroup(model.namedParameters(), learningRate: 1e-4)])
    var results = [BenchResult]()
    for side in quick ? [32] : sizes {
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
      measured(results.last!)
    }
    results.append(try decoding(count: quick ? 8 : 128, side: quick ? 32 : 224))
    if noInference { return results }
    let n = quick ? 2 : inferenceBatch, side = quick ? 32 : 224
    let x = g.normal([n, 3, side, side])
    model.setTraining(false)
    model.fixWeights()  // as `cmh encode` opens a model
    let seconds = BenchTiming.times(repeats: repeats) { _ = model.infer(x) }
    results.append(result("resnet34.inference", n, seconds, side: side))
    return results
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
