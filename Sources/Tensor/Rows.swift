// Rows: gathering and scattering rows of a matrix [N, D] by index, as a trainer keeps the outputs
// of every training item and refreshes a batch's rows at a time.

extension Tensor {
  /// The rows at `indices` of this [N, D] matrix, as a new [indices.count, D] matrix.
  public func rows(_ indices: [Int]) -> Tensor {
    precondition(rank == 2, "Tensor.rows: needs a matrix, got \(shape)")
    let d = shape[1], out = Tensor(zeros: [indices.count, d])
    for (r, i) in indices.enumerated() {
      precondition(i >= 0 && i < shape[0], "Tensor.rows: row \(i) outside 0..<\(shape[0])")
      (out.data + r * d).update(from: data + i * d, count: d)
    }
    return out
  }

  /// Writes the rows of `values` [indices.count, D] into rows `indices` of this matrix.
  public func setRows(_ indices: [Int], _ values: Tensor) {
    let d = shape[1]
    precondition(rank == 2 && values.shape == [indices.count, d], "Tensor.setRows: \(values.shape) into rows of \(shape)")
    for (r, i) in indices.enumerated() { (data + i * d).update(from: values.data + r * d, count: d) }
    noteWrite()
  }
}
