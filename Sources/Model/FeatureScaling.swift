// FeatureScaling: dense feature rows standardised with the training split's column means and
// standard deviations; stored in the model's spec and applied wherever the model reads rows.
// Bag-of-words rows (non-negative whole numbers, mostly zeros) keep their values.

import Corpus
import Tensor

public struct FeatureScaling: Codable, Equatable, Sendable {
  public var mean: [Float]
  /// 1 / standard deviation per column; 1 for a column that is constant in the training rows.
  public var scale: [Float]

  /// The statistics of `rows` (the training split's rows).
  public static func fit(_ rows: FeatureMatrix) -> FeatureScaling {
    let (n, d) = (rows.rows, rows.columns)
    var sum = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
    for r in 0..<n {
      for c in 0..<d {
        let x = Double(rows.values[r * d + c])
        sum[c] += x; squares[c] += x * x
      }
    }
    let count = Double(max(n, 1))
    let mean = sum.map { $0 / count }
    let deviation = (0..<d).map { c in max(squares[c] / count - mean[c] * mean[c], 0).squareRoot() }
    return FeatureScaling(mean: mean.map(Float.init), scale: deviation.map { $0 < 1e-6 ? 1 : Float(1 / $0) })
  }

  /// Whether rows read as a bag of words: every value a non-negative whole number and at most half
  /// of them non-zero (tag and word counts); such rows are not standardised.
  public static func isBagOfWords(_ rows: FeatureMatrix) -> Bool {
    var nonZero = 0
    for x in rows.values {
      guard x >= 0, x == x.rounded() else { return false }
      if x != 0 { nonZero += 1 }
    }
    return nonZero * 2 <= rows.values.count
  }

  /// The scaling a new model gets for these training rows: nil for bag-of-words rows.
  public static func forTraining(_ rows: FeatureMatrix) -> FeatureScaling? { isBagOfWords(rows) ? nil : fit(rows) }

  public func apply(_ rows: FeatureMatrix) -> FeatureMatrix {
    precondition(rows.columns == mean.count, "FeatureScaling: \(rows.columns) columns, the scaling has \(mean.count)")
    var values = rows.values
    let d = rows.columns
    for i in values.indices { values[i] = (values[i] - mean[i % d]) * scale[i % d] }
    return FeatureMatrix(rows: rows.rows, columns: d, values: values)
  }

  /// The same for sparse rows (a free-text query over a scaled vocabulary); the result is dense.
  public func apply(_ rows: SparseRows) -> SparseRows {
    let dense = rows.dense()
    let matrix = apply(FeatureMatrix(rows: rows.rowCount, columns: rows.columnCount,
                                     values: Array(UnsafeBufferPointer(start: dense.data, count: dense.count))))
    return SparseRows(rowMajor: matrix.values, columnCount: matrix.columns)
  }
}
