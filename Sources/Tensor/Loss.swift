// Losses for the engine's tests and demo: mean squared error and softmax cross-entropy, each with
// its gradient with respect to the prediction.

import Foundation

public enum MeanSquaredError {
  /// L = mean((p − t)²); dL/dp = 2(p − t)/count
  public static func evaluate(_ prediction: Tensor, _ target: Tensor) -> (loss: Float, gradient: Tensor) {
    precondition(prediction.shape == target.shape, "MeanSquaredError: prediction \(prediction.shape), target \(target.shape)")
    let g = Tensor(zeros: prediction.shape), n = Float(prediction.count)
    var sum = 0.0
    for i in 0..<prediction.count {
      let d = prediction.data[i] - target.data[i]
      sum += Double(d * d)
      g.data[i] = 2 * d / n
    }
    return (Float(sum / Double(n)), g)
  }
}

public enum SoftmaxCrossEntropy {
  /// L = mean over the batch of −log softmax(z)[label]; dL/dz = (softmax(z) − onehot)/N.
  /// `logits` is [N, classes].
  public static func evaluate(_ logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "SoftmaxCrossEntropy: logits \(logits.shape) for \(labels.count) labels")
    let (n, k) = (logits.shape[0], logits.shape[1])
    let g = Tensor(zeros: logits.shape)
    var total = 0.0
    for r in 0..<n {
      precondition(labels[r] >= 0 && labels[r] < k, "SoftmaxCrossEntropy: label \(labels[r]) outside 0..<\(k)")
      let z = logits.data + r * k, d = g.data + r * k
      var top = -Float.infinity
      for j in 0..<k { top = max(top, z[j]) }
      var sum: Float = 0
      for j in 0..<k { d[j] = expf(z[j] - top); sum += d[j] }
      total += Double(logf(sum) + top - z[labels[r]])
      for j in 0..<k { d[j] = d[j] / sum / Float(n) }
      d[labels[r]] -= 1 / Float(n)
    }
    return (Float(total / Double(n)), g)
  }

  /// The fraction of rows whose largest logit is at the label.
  public static func accuracy(_ logits: Tensor, labels: [Int]) -> Float {
    let k = logits.shape[1]
    var correct = 0
    for (r, label) in labels.enumerated() {
      let z = logits.data + r * k
      var best = 0
      for j in 1..<k where z[j] > z[best] { best = j }
      if best == label { correct += 1 }
    }
    return Float(correct) / Float(max(labels.count, 1))
  }
}
