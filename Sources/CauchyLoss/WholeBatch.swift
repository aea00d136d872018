// WholeBatch: what a rank of a data-parallel run knows of the whole batch it holds part of — its
// row count and the sum of its similarity targets — so that each rank's loss and gradient are its
// rows' share of the whole batch's (the losses average over the batch and weigh similar and
// dissimilar pairs by the batch's totals).

import Tensor

public struct WholeBatch: Sendable {
  public var rows: Int
  public var similaritySum: Double

  public init(rows: Int, similaritySum: Double) {
    (self.rows, self.similaritySum) = (rows, similaritySum)
  }

  /// Σ S in Double, sixteen running sums at a time (one running sum, a chain of dependent adds,
  /// took 3% of a feature corpus's training).
  public static func sum(_ s: Tensor) -> Double {
    let (p, n) = (UnsafeRawPointer(s.data), s.count)
    var (a, b) = (SIMD8<Double>(), SIMD8<Double>())
    var i = 0
    while i + 16 <= n {
      a += SIMD8<Double>(p.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
      b += SIMD8<Double>(p.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self))
      i += 16
    }
    var total = (a + b).sum()
    while i < n { total += Double(s.data[i]); i += 1 }
    return total
  }
}
