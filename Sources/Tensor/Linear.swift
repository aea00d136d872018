// Linear: y = x·Wᵀ + b, with a dense input [N, I] or a sparse one (bag-of-words rows); W is [O, I].

/// A fully connected layer; weight [O, I] and bias [O] as in torch.nn.Linear.
public final class Linear: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let inputSize: Int, outputSize: Int
  public var isTraining = true
  private var input: Tensor?
  private var sparseInput: SparseRows?

  /// PyTorch's default initialisation: weight and bias uniform in ±1/√I.
  public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, generator: inout RandomGenerator) {
    self.inputSize = inputSize
    self.outputSize = outputSize
    let bound = 1 / Float(inputSize).squareRoot()
    weight = Parameter(generator.uniform([outputSize, inputSize], -bound, bound))
    self.bias = bias ? Parameter(generator.uniform([outputSize], -bound, bound)) : nil
  }

  public var ownParameters: [(String, Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  // MARK: Dense input

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == inputSize, "Linear(\(inputSize)→\(outputSize)): input \(x.shape), expected [N, \(inputSize)]")
    input = x
    let n = x.shape[0]
    let y = Tensor(zeros: [n, outputSize])
    BLAS.gemm(transposeB: true, m: n, n: outputSize, k: inputSize,
              a: x.data, lda: inputSize, b: weight.value.data, ldb: inputSize, c: y.data, ldc: outputSize)
    addBias(y)
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Linear.backward called before forward") }
    let n = x.shape[0]
    precondition(dy.shape == [n, outputSize], "Linear(\(inputSize)→\(outputSize)).backward: gradient \(dy.shape), expected \([n, outputSize])")
    // dW += dyᵀ·x
    BLAS.gemm(transposeA: true, m: outputSize, n: inputSize, k: n,
              a: dy.data, lda: outputSize, b: x.data, ldb: inputSize, beta: 1, c: weight.grad.data, ldc: inputSize)
    accumulateBiasGradient(dy)
    // dx = dy·W
    let dx = Tensor(zeros: x.shape)
    BLAS.gemm(m: n, n: inputSize, k: outputSize,
              a: dy.data, lda: outputSize, b: weight.value.data, ldb: inputSize, c: dx.data, ldc: inputSize)
    return dx
  }

  // MARK: Sparse input

  /// Outputs per unit of work in the sparse paths: 16 weight rows (88 KB for 1,386 words) stay in
  /// cache while every row of the batch reads them.
  private static let sparseTile = 16

  /// Forward for sparse rows: y[r, o] = b[o] + Σ_j v_j·W[o, c_j] over the row's entries only, so
  /// the cost follows the words of the batch (a few per row), not the vocabulary — a dense product
  /// over the batch's used columns did 70 times the work for 1%-dense tag rows.
  public func forward(sparse x: SparseRows) -> Tensor {
    precondition(x.columnCount == inputSize, "Linear(\(inputSize)→\(outputSize)): sparse input has \(x.columnCount) columns")
    sparseInput = x
    input = nil
    let (n, o, width) = (x.rowCount, outputSize, inputSize)
    let y = Tensor(zeros: [n, o])
    let (w, out, bias) = (weight.value.data, y.data, self.bias?.value.data)
    x.withEntries { starts, columns, values in
      Threads.parallelFor((o + Self.sparseTile - 1) / Self.sparseTile) { tile in
        let outputs = (tile * Self.sparseTile)..<min(o, (tile + 1) * Self.sparseTile)
        for r in 0..<n {
          for j in outputs {
            let row = w + j * width
            var sum = bias?[j] ?? 0
            for e in starts[r]..<starts[r + 1] { sum += values[e] * row[Int(columns[e])] }
            out[r * o + j] = sum
          }
        }
      }
    }
    return y
  }

  /// Backward for sparse rows: dW[o, c_j] += dy[r, o]·v_j over the row's entries (and the bias);
  /// the input (data) has no gradient.
  public func backwardSparse(_ dy: Tensor) {
    guard let x = sparseInput else { preconditionFailure("Linear.backwardSparse called before forward(sparse:)") }
    let (n, o, width) = (x.rowCount, outputSize, inputSize)
    precondition(dy.shape == [n, o], "Linear.backwardSparse: gradient \(dy.shape), expected \([n, o])")
    accumulateBiasGradient(dy)
    let (dw, d) = (weight.grad.data, dy.data)
    x.withEntries { starts, columns, values in
      Threads.parallelFor((o + Self.sparseTile - 1) / Self.sparseTile) { tile in
        for r in 0..<n {
          for j in (tile * Self.sparseTile)..<min(o, (tile + 1) * Self.sparseTile) {
            let (row, g) = (dw + j * width, d[r * o + j])
            if g == 0 { continue }  // ReLU zeroes about half of these
            for e in starts[r]..<starts[r + 1] { row[Int(columns[e])] += g * values[e] }
          }
        }
      }
    }
  }

  // MARK: Bias

  private func addBias(_ y: Tensor) {
    guard let b = bias?.value.data else { return }
    let n = y.shape[0], o = outputSize, p = y.data
    for r in 0..<n { for j in 0..<o { p[r * o + j] += b[j] } }
  }

  private func accumulateBiasGradient(_ dy: Tensor) {
    guard let db = bias?.grad.data else { return }
    let n = dy.shape[0], o = outputSize, p = dy.data
    for r in 0..<n { for j in 0..<o { db[j] += p[r * o + j] } }
  }
}
