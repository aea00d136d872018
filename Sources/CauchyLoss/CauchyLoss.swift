// CauchyLoss: the cross-modal Cauchy similarity loss and its gradient with respect to one
// modality's outputs, for a batch of rows U [b, k] against the other modality's rows V [n, k].
//
//   d(u, v) = (k/2)(1 − cos(u, v))                 a smooth Hamming distance, 0…k
//   loss_ij = w₁ S_ij [log(γ + d) − log γ] + w₀ (1 − S_ij) [log(γ + d) − log d]
//   w₁ = |S|/ΣS, w₀ = |S|/Σ(1 − S) over the batch (Deep Cauchy Hashing's balance of similar and
//   dissimilar pairs; for a 0/1 target, w_ij [log(γ + d) − S log γ − (1 − S) log d])
//
// cos is capped at 0.99 (d ≥ k/200) so that log d stays finite. Past the cap a dissimilar pair
// keeps the push it has at the cap: were it zero, codes that collapse onto one direction early in
// training (the towers learn the common part of their targets first) would stay collapsed, with
// nothing left to push dissimilar pairs apart. A similar pair's pull stops there, as the capped
// loss's own derivative does: it has reached the closest distance the loss knows.
// The sum runs over all n items for each batch row and is averaged over the batch only.

import CVector
import Foundation
import Platform
import Tensor

public struct CauchyLoss: Sendable {
  public var gamma: Float = 10
  public static let cosineCap: Float = 0.99

  public init(gamma: Float = 10) {
    precondition(gamma > 0, "CauchyLoss: γ must be positive, got \(gamma)")
    self.gamma = gamma
  }

  /// The loss and dL/dU for batch rows U [b, k], other-modality rows V [n, k], similarity S [b, n].
  /// With `whole`, the rows are one rank's part of a larger batch: the weights and the average
  /// are the whole batch's, so the ranks' losses and gradients add up to the whole batch's.
  public func evaluate(_ u: Tensor, _ v: Tensor, similarity s: Tensor, whole: WholeBatch? = nil) -> (loss: Float, gradient: Tensor) {
    evaluate(u, unitRows: Self.normalised(v).0, similarity: s, whole: whole)
  }

  /// The same with V given as its rows scaled to unit length (`normalised`), which a trainer keeps
  /// while V does not change: every batch of a phase reads the same other modality's outputs.
  public func evaluate(_ u: Tensor, unitRows vHat: Tensor, similarity s: Tensor, whole: WholeBatch? = nil) -> (loss: Float, gradient: Tensor) {
    let (b, k, n) = (u.shape[0], u.shape[1], vHat.shape[0])
    let rows = whole?.rows ?? b
    precondition(vHat.shape[1] == k && s.shape == [b, n], "CauchyLoss: U \(u.shape), V \(vHat.shape), S \(s.shape)")
    let (uHat, uNorm) = Self.normalised(u)
    let cosine = BLAS.matmul(uHat, vHat, transposeB: true)  // [b, n]
    // Soft targets s ∈ [0, 1]: the similar part weighs s, the dissimilar part 1 − s; the weights
    // balance their totals as Deep Cauchy Hashing balances the pair counts of a 0/1 target.
    let similar = whole?.similaritySum ?? WholeBatch.sum(s)
    let total = Double(rows * n)
    let wSimilar = similar > 0 ? Float(total / similar) : 0, wDissimilar = similar < total ? Float(total / (total - similar)) : 0
    let half = Float(k) / 2, dMin = half * (1 - Self.cosineCap)
    let dCos = Tensor(zeros: [b, n])  // dL/dcos
    // Each row's pairs on one thread (cmh_cauchy_row: for each pair, w = w₁s + w₀(1 − s) and the
    // loss w [log(γ + d) − a log γ − (1 − a) log d] with a the similar part's share of w, a = s for
    // a 0/1 target; past the cap the pull of similarity has reached its goal and stops, the push of
    // dissimilarity goes on); the rows' losses add up in row order.
    var rowLosses = [Double](repeating: 0, count: b), rowTotals = [Float](repeating: 0, count: b)
    let (cos, target, g) = (UnsafePointer(cosine.data), UnsafePointer(s.data), dCos.data)
    rowLosses.withUnsafeMutableBufferPointer { losses in
      rowTotals.withUnsafeMutableBufferPointer { totals in
        Threads.parallelFor(b) { r in
          cmh_cauchy_row(cos + r * n, target + r * n, n, wSimilar, wDissimilar, half, gamma, dMin, Self.cosineCap, g + r * n,
                         losses.baseAddress! + r, totals.baseAddress! + r)
        }
      }
    }
    let loss = rowLosses.reduce(0, +)
    // dL/du_i = (1/|u_i|) [ Σ_j g_ij v̂_j − (Σ_j g_ij c_ij) û_i ],  g = dL/dcos
    let gradient = BLAS.matmul(dCos, vHat)
    for i in 0..<b {
      for t in 0..<k {
        gradient.data[i * k + t] = (gradient.data[i * k + t] - rowTotals[i] * uHat.data[i * k + t]) / uNorm[i] / Float(rows)
      }
    }
    return (Float(loss / Double(rows)), gradient)
  }

  /// Rows scaled to unit length, and the lengths (a zero row stays zero, length guarded from 0).
  public static func normalised(_ x: Tensor) -> (Tensor, [Float]) {
    let (rows, k) = (x.shape[0], x.shape[1])
    let out = Tensor(zeros: x.shape)
    var norms = [Float](repeating: 0, count: rows)
    let (source, target) = (UnsafePointer(x.data), out.data)  // read once: each access of `data` goes through the storage
    for r in 0..<rows {
      let (row, into) = (source + r * k, target + r * k)
      var sq: Float = 0
      for t in 0..<k { sq += row[t] * row[t] }
      norms[r] = max(sq.squareRoot(), 1e-12)
      for t in 0..<k { into[t] = row[t] / norms[r] }
    }
    return (out, norms)
  }
}
