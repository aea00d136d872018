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

  /// Σ S in Double, in the order a single process sums the whole batch's targets.
  public static func sum(_ s: Tensor) -> Double {
    var total = 0.0
    for i in 0..<s.count { total += Double(s.data[i]) }
    return total
  }
}
