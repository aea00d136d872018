// Quantization: the terms that pull continuous codes towards binary ones, and the closed-form
// code update.
//   L_q = α ‖B − F‖²  (for the modality being trained; the other's term is constant then)
//   L_b = η ‖Fᵀ1‖²    bit balance over all n rows (the batch's rows change the column sums)
//   L_c = λ Σ_i log(1 + d(|f_i|, 1)/γ)   Deep Cauchy Hashing's quantization, d as in CauchyLoss
//   B = sign(α(F + G)), ties to +1

import Foundation
import Tensor

public enum Quantization {
  /// α Σ_i ‖b_i − f_i‖² / b for batch rows F [b, k] and their codes B [b, k], with its gradient.
  /// `rows`: the whole batch's row count when F is one rank's part of it.
  public static func evaluate(_ f: Tensor, codes: Tensor, alpha: Float, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    precondition(f.shape == codes.shape, "Quantization: F \(f.shape), B \(codes.shape)")
    let b = Float(rows ?? f.shape[0]), g = Tensor(zeros: f.shape)
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
  /// `rows`: the whole batch's row count when the `batch` rows are one rank's part of it; each
  /// rank then carries its share of the loss.
  public static func balance(columnSums: [Float], batch: Int, eta: Float, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    let k = columnSums.count, g = Tensor(zeros: [batch, k]), whole = Float(rows ?? batch)
    for i in 0..<batch { for t in 0..<k { g.data[i * k + t] = 2 * eta * columnSums[t] / whole } }
    let loss = eta * columnSums.reduce(0) { $0 + $1 * $1 } / whole
    return (rows == nil ? loss : loss * Float(batch) / whole, g)
  }

  /// λ Σ_i log(1 + d(|f_i|, 1)/γ) / b with d(u, v) = (k/2)(1 − cos(u, v)): zero when every bit
  /// of a row has the same magnitude, so it pulls a row towards a vertex of the cube in direction.
  public static func cauchy(_ f: Tensor, gamma: Float, lambda: Float, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    let (local, k) = (f.shape[0], f.shape[1]), b = rows ?? local, g = Tensor(zeros: f.shape), root = Float(k).squareRoot()
    var loss = 0.0
    for i in 0..<local {
      let row = f.data + i * k
      var sum: Float = 0, squares: Float = 0
      for t in 0..<k { sum += abs(row[t]); squares += row[t] * row[t] }
      let norm = max(squares.squareRoot(), 1e-12), cosine = sum / (norm * root), d = Float(k) / 2 * (1 - cosine)
      loss += Double(logf(1 + d / gamma))
      // dL/d|f_t| = λ/(γ + d) · (−k/2) · (1/(‖f‖√k) − Σ|f|·|f_t|/(‖f‖³√k)), then the sign of f_t.
      let scale = lambda / (gamma + d) * (-Float(k) / 2) / Float(b)
      for t in 0..<k {
        let dCos = 1 / (norm * root) - sum * abs(row[t]) / (norm * norm * norm * root)
        g.data[i * k + t] = scale * dCos * (row[t] >= 0 ? 1 : -1)
      }
    }
    return (lambda * Float(loss) / Float(b), g)
  }

  /// B = sign(F + G) (α > 0 does not change the sign), 0 → +1.
  public static func codes(_ f: Tensor, _ g: Tensor) -> Tensor {
    precondition(f.shape == g.shape, "Quantization.codes: F \(f.shape), G \(g.shape)")
    let b = Tensor(zeros: f.shape)
    for i in 0..<f.count { b.data[i] = f.data[i] + g.data[i] >= 0 ? 1 : -1 }
    return b
  }
}
