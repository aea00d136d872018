// Similarity: S_ij = 1 when items i and j share a label, from multi-hot label rows, computed for
// a batch against all items (b × n) and never as the dense n × n matrix.

import Tensor

public enum Similarity {
  /// S [b, n] for label rows `batch` [b, L] against `all` [n, L] (multi-hot, 0/1).
  public static func matrix(_ batch: Tensor, _ all: Tensor) -> Tensor {
    precondition(batch.rank == 2 && all.rank == 2 && batch.shape[1] == all.shape[1],
                 "Similarity: label rows \(batch.shape) and \(all.shape) must have the same label count")
    let s = BLAS.matmul(batch, all, transposeB: true)
    for i in 0..<s.count { s.data[i] = s.data[i] > 0.5 ? 1 : 0 }
    return s
  }
}
