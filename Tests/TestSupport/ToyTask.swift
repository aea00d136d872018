// ToyTask: a generated image-classification task (bars and crosses) and the small CNN that learns
// it: the engine's end-to-end test (a CNN learns) and the model of the checkpoint tests.

import Foundation
import Tensor

public enum ToyTask {
  public static let classNames = ["horizontal bar", "vertical bar", "plus cross", "diagonal cross"]

  /// `count` noisy 1×size×size images of a randomly placed bar or cross, with their class labels.
  public static func generate(count: Int, size: Int = 16, generator: inout RandomGenerator) -> (images: Tensor, labels: [Int]) {
    let images = Tensor(zeros: [count, 1, size, size])
    var labels = [Int]()
    for n in 0..<count {
      let label = generator.nextInt(below: classNames.count)
      labels.append(label)
      let pixels = images.data + n * size * size
      for i in 0..<size * size { pixels[i] = generator.nextNormal() * 0.3 }
      let half = size / 4 + generator.nextInt(below: size / 4)
      let cy = half + generator.nextInt(below: max(1, size - 2 * half)), cx = half + generator.nextInt(below: max(1, size - 2 * half))
      for t in -half...half {
        let strokes: [(Int, Int)]
        switch label {
        case 0: strokes = [(cy, cx + t)]
        case 1: strokes = [(cy + t, cx)]
        case 2: strokes = [(cy, cx + t), (cy + t, cx)]
        default: strokes = [(cy + t, cx + t), (cy + t, cx - t)]
        }
        for (y, x) in strokes where y >= 0 && y < size && x >= 0 && x < size { pixels[y * size + x] += 1.5 }
      }
    }
    return (images, labels)
  }

  /// conv3×3(1→8)·BN·ReLU·maxpool2 → conv3×3(8→16)·BN·ReLU·maxpool2 → flatten → linear(→4).
  public static func network(size: Int = 16, generator: inout RandomGenerator) -> Sequential {
    Sequential(named: [
      ("conv1", Conv2D(1, 8, kernelSize: 3, padding: 1, generator: &generator)),
      ("bn1", BatchNorm(8)), ("relu1", ReLU()), ("pool1", MaxPool2d(kernelSize: 2)),
      ("conv2", Conv2D(8, 16, kernelSize: 3, padding: 1, generator: &generator)),
      ("bn2", BatchNorm(16)), ("relu2", ReLU()), ("pool2", MaxPool2d(kernelSize: 2)),
      ("flatten", Flatten()),
      ("fc", Linear(16 * (size / 4) * (size / 4), classNames.count, generator: &generator)),
    ])
  }

  /// Rows `indices` of a batch tensor [N, ...], copied into a new tensor.
  public static func gather(_ t: Tensor, _ indices: ArraySlice<Int>) -> Tensor {
    let item = t.itemCount
    let out = Tensor(zeros: [indices.count] + t.shape.dropFirst())
    for (row, i) in indices.enumerated() { (out.data + row * item).update(from: t.data + i * item, count: item) }
    return out
  }
}
