// Similarity: the training target S_ij from multi-hot label rows, computed for a batch against all
// items (b × n) and never as the dense n × n matrix:
//   any      S = 1 when i and j share a label, else 0 (DCMH and the papers after it)
//   cosine   S = |l_i ∩ l_j| / √(|l_i|·|l_j|)    graded: more shared labels, more similar
//   jaccard  S = |l_i ∩ l_j| / |l_i ∪ l_j|

import Tensor

public enum SimilarityKind: String, Codable, CaseIterable, Sendable {
  case any, cosine, jaccard
}

public enum Similarity {
  /// S [b, n] for label rows `batch` [b, L] against `all` [n, L] (multi-hot, 0/1).
  public static func matrix(_ batch: Tensor, _ all: Tensor, kind: SimilarityKind = .any) -> Tensor {
    precondition(batch.rank == 2 && all.rank == 2 && batch.shape[1] == all.shape[1],
                 "Similarity: label rows \(batch.shape) and \(all.shape) must have the same label count")
    let s = BLAS.matmul(batch, all, transposeB: true)  // shared label counts
    let (b, n) = (batch.shape[0], all.shape[0])
    if kind == .any {
      for i in 0..<s.count { s.data[i] = s.data[i] > 0.5 ? 1 : 0 }
      return s
    }
    let rowSize = { (m: Tensor, r: Int) -> Float in (0..<m.shape[1]).reduce(0) { $0 + m.data[r * m.shape[1] + $1] } }
    let a = (0..<b).map { rowSize(batch, $0) }, c = (0..<n).map { rowSize(all, $0) }
    for i in 0..<b {
      for j in 0..<n {
        let shared = s.data[i * n + j]
        let denominator = kind == .cosine ? (a[i] * c[j]).squareRoot() : a[i] + c[j] - shared
        s.data[i * n + j] = denominator > 0 ? shared / denominator : 0
      }
    }
    return s
  }
}
