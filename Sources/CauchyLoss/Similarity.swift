// Similarity: the training target S_ij from multi-hot label rows, computed for a batch against all
// items (b × n) and never as the dense n × n matrix:
//   any      S = 1 when i and j share a label, else 0 (DCMH and the papers after it)
//   cosine   S = |l_i ∩ l_j| / √(|l_i|·|l_j|)    graded: more shared labels, more similar
//   jaccard  S = |l_i ∩ l_j| / |l_i ∪ l_j|

import Corpus
import Platform
import Tensor

/// The target against a fixed set of items (the training pairs): their label rows and label-set
/// sizes are taken once, and each batch's rows are compared with all of them.
public struct Similarity {
  public let kind: SimilarityKind
  let all: Tensor
  /// |l_j| of every item, for the graded kinds.
  let sizes: [Float]

  /// `all` [n, L]: multi-hot (0/1) label rows of the items.
  public init(_ all: Tensor, kind: SimilarityKind = .any) {
    precondition(all.rank == 2, "Similarity: label rows must be a matrix, got \(all.shape)")
    self.all = all
    self.kind = kind
    sizes = kind == .any ? [] : Self.rowSums(all)
  }

  /// S [b, n] for label rows `batch` [b, L] against the items.
  public func matrix(_ batch: Tensor) -> Tensor {
    precondition(batch.rank == 2 && batch.shape[1] == all.shape[1],
                 "Similarity: label rows \(batch.shape) and \(all.shape) must have the same label count")
    let s = BLAS.matmul(batch, all, transposeB: true)  // shared label counts
    let (b, n, kind, out) = (batch.shape[0], all.shape[0], kind, s.data)
    let a = kind == .any ? [] : Self.rowSums(batch)
    // One loop per kind over raw pointers: the compiler vectorises each (with the kind tested
    // inside one loop over arrays, this took 6% of a feature corpus's training).
    sizes.withUnsafeBufferPointer { sizes in
      Threads.parallelFor(b) { i in
        let row = out + i * n
        switch kind {
        case .any:
          for j in 0..<n { row[j] = row[j] > 0.5 ? 1 : 0 }
        case .cosine:
          let ai = a[i]
          for j in 0..<n {
            let denominator = (ai * sizes[j]).squareRoot()
            row[j] = denominator > 0 ? row[j] / denominator : 0
          }
        case .jaccard:
          let ai = a[i]
          for j in 0..<n {
            let denominator = ai + sizes[j] - row[j]
            row[j] = denominator > 0 ? row[j] / denominator : 0
          }
        }
      }
    }
    return s
  }

  static func rowSums(_ m: Tensor) -> [Float] {
    let (rows, columns) = (m.shape[0], m.shape[1])
    return (0..<rows).map { r in (0..<columns).reduce(0) { $0 + m.data[r * columns + $1] } }
  }
}
