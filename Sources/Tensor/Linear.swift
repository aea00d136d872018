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

  // The sparse paths work on eight outputs at a time: eight weight rows (44 KB for 1,386 words)
  // stay in cache while every row of the batch reads them, and eight independent sums per entry
  // keep the loop from waiting on one chain of additions (which made it latency-bound).

  /// Forward for sparse rows: y[r, o] = b[o] + Σ_j v_j·W[o, c_j] over the row's entries only, so
  /// the cost follows the words of the batch (a few per row), not the vocabulary — a dense product
  /// over the batch's used columns did 70 times the work for 1%-dense tag rows.
  public func forward(sparse x: SparseRows) -> Tensor {
    precondition(x.columnCount == inputSize, "Linear(\(inputSize)→\(outputSize)): sparse input has \(x.columnCount) columns")
    sparseInput = x
    input = nil
    let (n, o, width) = (x.rowCount, outputSize, inputSize)
    let y = Tensor(zeros: [n, o])
    let (w, out) = (weight.value.data, y.data)
    forEachOutputGroup(x) { outputs, starts, columns, values in
      guard outputs.count == 8 else {  // the last, partial group
        for r in 0..<n {
          for j in outputs {
            var sum: Float = 0
            for e in starts[r]..<starts[r + 1] { sum += values[e] * w[j * width + Int(columns[e])] }
            out[r * o + j] = sum
          }
        }
        return
      }
      let rows = outputs.map { w + $0 * width }
      for r in 0..<n {
        var sum = SIMD8<Float>()
        for e in starts[r]..<starts[r + 1] {
          let c = Int(columns[e])
          sum += values[e] * SIMD8(rows[0][c], rows[1][c], rows[2][c], rows[3][c], rows[4][c], rows[5][c], rows[6][c], rows[7][c])
        }
        UnsafeMutableRawPointer(out + r * o + outputs.lowerBound).storeBytes(of: sum, as: SIMD8<Float>.self)
      }
    }
    addBias(y)
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
    forEachOutputGroup(x) { outputs, starts, columns, values in
      guard outputs.count == 8 else {  // the last, partial group
        for r in 0..<n {
          for j in outputs {
            for e in starts[r]..<starts[r + 1] { dw[j * width + Int(columns[e])] += d[r * o + j] * values[e] }
          }
        }
        return
      }
      let rows = outputs.map { dw + $0 * width }
      for r in 0..<n {
        let g = UnsafeRawPointer(d + r * o + outputs.lowerBound).loadUnaligned(as: SIMD8<Float>.self)
        for e in starts[r]..<starts[r + 1] {
          let (c, update) = (Int(columns[e]), g * values[e])
          for t in 0..<8 { rows[t][c] += update[t] }
        }
      }
    }
  }

  /// Runs `body` for each group of eight consecutive outputs (the last may be shorter) on all
  /// threads, with the rows' entries: starts, columns, values.
  private func forEachOutputGroup(_ x: SparseRows,
                                  _ body: (Range<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) -> Void) {
    let o = outputSize
    x.withEntries { starts, columns, values in
      Threads.parallelFor((o + 7) / 8) { group in body((group * 8)..<min(o, group * 8 + 8), starts, columns, values) }
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
