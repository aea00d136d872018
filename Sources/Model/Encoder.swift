// Encoder: a trained model's continuous outputs for whole sets of images or texts, in evaluation
// mode and in batches (the codes are their signs, b = sign(f(x)), 0 → +1: `BinaryCodes(signs:)`).

import ImageNet
import Tensor

extension CrossModalModel {
  /// The encoders' batch sizes. A batch's outputs are the same however the items around it are
  /// split; a dense layer's few-row path (`Linear.infer`) sums in another order than a larger
  /// batch's, so ranks that share a set to encode share it in these batches (the text one is a
  /// multiple of the image one).
  public static let imageBatch = 64, textBatch = 256

  /// Outputs [n, k] of the image tower for every item of `inputs`: the mean over the spec's views
  /// of each image (ModelSpec.imageViews; feature rows have one).
  public func imageOutputs(_ inputs: ImageInputs, batchSize: Int = imageBatch, progress: (Int) -> Void = { _ in }) -> Tensor {
    image.setTraining(false)
    let views = Orientation.views(spec.architecture == .mlp ? 1 : spec.imageViews ?? 1)
    return Self.stacked(inputs.count, bits: spec.bits, batchSize: batchSize, progress: progress) { rows in
      guard views.count > 1 else { return image.infer(inputs.batch(rows)) }
      let mean = Tensor(zeros: [rows.count, spec.bits])
      for view in views { mean.add(image.infer(inputs.batch(rows, orientations: Array(repeating: view, count: rows.count)))) }
      for i in 0..<mean.count { mean.data[i] /= Float(views.count) }
      return mean
    }
  }

  /// Outputs [n, k] of the text tower for every row of `inputs`.
  public func textOutputs(_ inputs: TextInputs, batchSize: Int = textBatch, progress: (Int) -> Void = { _ in }) -> Tensor {
    text.setTraining(false)
    return Self.stacked(inputs.count, bits: spec.bits, batchSize: batchSize, progress: progress) { rows in text.infer(sparse: inputs.batch(rows)) }
  }

  /// Outputs [n, k] of free texts already split into tokens (a search's queries): rows over the
  /// vocabulary at a training text's norm (`Vocabulary.encode(queries:)`), scaled as the tower's
  /// rows; nil for a model that reads no free text.
  public func queryOutputs(tokenized texts: [[String]]) -> Tensor? {
    guard let vocabulary = spec.text.vocabulary else { return nil }
    return textOutputs(TextInputs(rows: vocabulary.encode(queries: texts), coverage: nil).scaled(spec.textScaling))
  }

  private static func stacked(_ n: Int, bits: Int, batchSize: Int, progress: (Int) -> Void, _ forward: ([Int]) -> Tensor) -> Tensor {
    let out = Tensor(zeros: [n, bits])
    for start in stride(from: 0, to: n, by: batchSize) {
      let rows = Array(start..<min(start + batchSize, n))
      let y = forward(rows)
      (out.data + start * bits).update(from: y.data, count: rows.count * bits)
      progress(start + rows.count)
    }
    return out
  }
}
