// Linear: y = x·Wᵀ + b, with a dense input [N, I] or a sparse one (bag-of-words rows); W is [O, I].

/// A fully connected layer; weight [O, I] and bias [O] as in torch.nn.Linear.
public final class Linear: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let inputSize: Int, outputSize: Int
  public var isTraining = true
  private var input: Tensor?
  private var sparseInput: (columns: [Int], compact: Tensor)?

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

  /// Forward for sparse rows: only the columns some row uses are gathered, so the cost follows the
  /// number of distinct words in the batch, not the vocabulary.
  public func forward(sparse x: SparseRows) -> Tensor {
    precondition(x.columnCount == inputSize, "Linear(\(inputSize)→\(outputSize)): sparse input has \(x.columnCount) columns")
    let columns = x.usedColumns, u = columns.count, n = x.rowCount
    var position = [Int32: Int]()
    for (i, c) in columns.enumerated() { position[Int32(c)] = i }
    let compact = Tensor(zeros: [n, u])
    for r in 0..<n {
      for j in x.rowStarts[r]..<x.rowStarts[r + 1] { compact.data[r * u + position[x.columns[j]]!] += x.values[j] }
    }
    let gathered = Tensor(zeros: [outputSize, u])
    let w = weight.value.data, g = gathered.data
    Threads.parallelFor(outputSize) { o in
      for (i, c) in columns.enumerated() { g[o * u + i] = w[o * self.inputSize + c] }
    }
    sparseInput = (columns, compact)
    input = nil
    let y = Tensor(zeros: [n, outputSize])
    if u > 0 {
      BLAS.gemm(transposeB: true, m: n, n: outputSize, k: u, a: compact.data, lda: u, b: g, ldb: u, c: y.data, ldc: outputSize)
    }
    addBias(y)
    return y
  }

  /// Backward for sparse rows: accumulates parameter gradients; the input (data) has none.
  public func backwardSparse(_ dy: Tensor) {
    guard let (columns, compact) = sparseInput else { preconditionFailure("Linear.backwardSparse called before forward(sparse:)") }
    let n = compact.shape[0], u = columns.count
    precondition(dy.shape == [n, outputSize], "Linear.backwardSparse: gradient \(dy.shape), expected \([n, outputSize])")
    accumulateBiasGradient(dy)
    guard u > 0 else { return }
    let dCompact = Tensor(zeros: [outputSize, u])
    BLAS.gemm(transposeA: true, m: outputSize, n: u, k: n, a: dy.data, lda: outputSize, b: compact.data, ldb: u, c: dCompact.data, ldc: u)
    let dw = weight.grad.data, d = dCompact.data
    Threads.parallelFor(outputSize) { o in
      for (i, c) in columns.enumerated() { dw[o * self.inputSize + c] += d[o * u + i] }
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
