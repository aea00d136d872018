// SparseRows: a batch of sparse rows (compressed sparse row form), the input of bag-of-words layers.

/// Rows of a sparse N × V matrix: row r holds `columns[rowStarts[r]..<rowStarts[r+1]]` with `values`.
public struct SparseRows: Sendable {
  public let rowCount: Int
  public let columnCount: Int
  public let rowStarts: [Int]
  public let columns: [Int32]
  public let values: [Float]

  /// Builds the rows from (column, value) lists; columns must lie in 0..<columnCount.
  public init(columnCount: Int, rows: [[(column: Int, value: Float)]]) {
    var starts = [0], cols = [Int32](), vals = [Float]()
    for row in rows {
      for (c, v) in row {
        precondition(c >= 0 && c < columnCount, "SparseRows: column \(c) outside 0..<\(columnCount)")
        cols.append(Int32(c)); vals.append(v)
      }
      starts.append(cols.count)
    }
    self.rowCount = rows.count
    self.columnCount = columnCount
    self.rowStarts = starts
    self.columns = cols
    self.values = vals
  }

  /// The sparse rows of a dense matrix [N, V] (zeros dropped).
  public init(dense: Tensor) {
    precondition(dense.rank == 2, "SparseRows(dense:): needs [N, V], got \(dense.shape)")
    self.init(rowMajor: Array(UnsafeBufferPointer(start: dense.data, count: dense.count)), columnCount: dense.shape[1])
  }

  /// The same matrix as a dense tensor [N, V].
  public func dense() -> Tensor {
    let t = Tensor(zeros: [rowCount, columnCount])
    for r in 0..<rowCount {
      for j in rowStarts[r]..<rowStarts[r + 1] { t.data[r * columnCount + Int(columns[j])] += values[j] }
    }
    return t
  }

  /// Runs `body` with the row starts, columns and values as buffers (no bounds checks in hot loops).
  func withEntries<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) -> R) -> R {
    rowStarts.withUnsafeBufferPointer { s in columns.withUnsafeBufferPointer { c in values.withUnsafeBufferPointer { v in body(s, c, v) } } }
  }
}

extension SparseRows {
  /// The rows at `indices`, in that order.
  public func rows(_ indices: [Int]) -> SparseRows {
    SparseRows(columnCount: columnCount, rows: indices.map(entries))
  }

  /// Row `r` as (column, value) pairs.
  func entries(_ r: Int) -> [(column: Int, value: Float)] {
    (rowStarts[r]..<rowStarts[r + 1]).map { (column: Int(columns[$0]), value: values[$0]) }
  }

  /// The sparse rows of a row-major matrix with `columnCount` columns (zeros dropped).
  public init(rowMajor values: [Float], columnCount: Int) {
    precondition(columnCount > 0 && values.count % columnCount == 0, "SparseRows(rowMajor:): \(values.count) values do not fill rows of \(columnCount)")
    self.init(columnCount: columnCount, rows: (0..<(values.count / columnCount)).map { r in
      (0..<columnCount).compactMap { c -> (column: Int, value: Float)? in
        let x = values[r * columnCount + c]
        return x == 0 ? nil : (c, x)
      }
    })
  }
}

extension SparseRows {
  /// These rows followed by `other`'s (same column count).
  public func appending(_ other: SparseRows) -> SparseRows {
    precondition(other.columnCount == columnCount, "SparseRows.appending: \(columnCount) and \(other.columnCount) columns")
    return SparseRows(columnCount: columnCount, rows: (0..<rowCount).map(entries) + (0..<other.rowCount).map(other.entries))
  }
}

extension SparseRows {
  /// Each row's L2 norm.
  public var norms: [Float] {
    (0..<rowCount).map { r in (rowStarts[r]..<rowStarts[r + 1]).reduce(Float(0)) { $0 + values[$1] * values[$1] }.squareRoot() }
  }

  /// The same rows, each scaled to L2 norm `norm` (a row of zeros stays as it is).
  public func scaled(toNorm norm: Float) -> SparseRows {
    let current = norms
    return SparseRows(columnCount: columnCount, rows: (0..<rowCount).map { r in
      entries(r).map { (column: $0.column, value: current[r] > 0 ? $0.value * norm / current[r] : $0.value) }
    })
  }
}
