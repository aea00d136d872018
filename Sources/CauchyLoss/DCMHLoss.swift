// DCMHLoss: the negative log-likelihood of Deep Cross-Modal Hashing, the baseline behind
// `--loss dcmh`: Θ_ij = ½ u_i·v_j, loss = Σ_j [log(1 + e^Θ_ij) − S_ij Θ_ij], averaged over the batch.
// dL/du_i = ½ Σ_j (σ(Θ_ij) − S_ij) v_j / b.

import Foundation
import Tensor

public struct DCMHLoss: Sendable {
  public init() {}

  /// `whole`: the rows are one rank's part of a larger batch, averaged as the whole batch.
  public func evaluate(_ u: Tensor, _ v: Tensor, similarity s: Tensor, whole: WholeBatch? = nil) -> (loss: Float, gradient: Tensor) {
    let (b, k, n) = (u.shape[0], u.shape[1], v.shape[0])
    let rows = whole?.rows ?? b
    precondition(v.shape[1] == k && s.shape == [b, n], "DCMHLoss: U \(u.shape), V \(v.shape), S \(s.shape)")
    let theta = BLAS.matmul(u, v, transposeB: true)
    var loss = 0.0
    let coefficient = Tensor(zeros: [b, n])
    for i in 0..<(b * n) {
      let t = theta.data[i] / 2
      // log(1 + e^t) computed without overflow
      loss += Double((t > 0 ? t + log1pf(expf(-t)) : log1pf(expf(t))) - s.data[i] * t)
      coefficient.data[i] = (1 / (1 + expf(-t)) - s.data[i]) / 2 / Float(rows)
    }
    return (Float(loss / Double(rows)), BLAS.matmul(coefficient, v))
  }
}
