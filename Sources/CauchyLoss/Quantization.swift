// Quantization: the terms that pull continuous codes towards binary ones, and the closed-form
// code update.
//   L_q = α ‖B − F‖²  (for the modality being trained; the other's term is constant then)
//   L_b = η ‖Fᵀ1‖²    bit balance over all n rows (the batch's rows change the column sums)
//   B = sign(α(F + G)), ties to +1

import Tensor

public enum Quantization {
  /// α Σ_i ‖b_i − f_i‖² / b for batch rows F [b, k] and their codes B [b, k], with its gradient.
  public static func evaluate(_ f: Tensor, codes: Tensor, alpha: Float) -> (loss: Float, gradient: Tensor) {
    precondition(f.shape == codes.shape, "Quantization: F \(f.shape), B \(codes.shape)")
    let b = Float(f.shape[0]), g = Tensor(zeros: f.shape)
    var loss = 0.0
    for i in 0..<f.count {
      let d = f.data[i] - codes.data[i]
      loss += Double(d * d)
      g.data[i] = 2 * alpha * d / b
    }
    return (alpha * Float(loss) / b, g)
  }

  /// η ‖Σ_rows F_all‖² / b, with its gradient for the batch rows (each gets 2η Σ_rows F_all / b).
  /// `columnSums` are the column sums of all n rows with the batch's current values.
  public static func balance(columnSums: [Float], batch: Int, eta: Float) -> (loss: Float, gradient: Tensor) {
    let k = columnSums.count, g = Tensor(zeros: [batch, k])
    for i in 0..<batch { for t in 0..<k { g.data[i * k + t] = 2 * eta * columnSums[t] / Float(batch) } }
    return (eta * columnSums.reduce(0) { $0 + $1 * $1 } / Float(batch), g)
  }

  /// B = sign(F + G) (α > 0 does not change the sign), 0 → +1.
  public static func codes(_ f: Tensor, _ g: Tensor) -> Tensor {
    precondition(f.shape == g.shape, "Quantization.codes: F \(f.shape), G \(g.shape)")
    let b = Tensor(zeros: f.shape)
    for i in 0..<f.count { b.data[i] = f.data[i] + g.data[i] >= 0 ? 1 : -1 }
    return b
  }
}
