// Linear: y = x·Wᵀ + b, with a dense input [N, I] or a sparse one (bag-of-words rows); W is [O, I].
// With `gatherRows` (data-parallel training, each rank holding part of the batch) the weight and
// bias gradients are the whole batch's: the ranks' inputs and output gradients are gathered and
// multiplied here, which moves N·(I + O) numbers where summing the ranks' gradients moves I·O.
// With `share` the layer is one of a pair split among the ranks by units (UnitShare.swift): the
// first (sparse or dense rows of the whole batch) computes its units (its weight rows), the second
// takes them as its input (its weight columns) and sums its partial output over the ranks.

import CVector
import Platform

/// A fully connected layer; weight [O, I] and bias [O] as in torch.nn.Linear.
public final class Linear: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let inputSize: Int, outputSize: Int
  public var isTraining = true
  /// False for a network's first layer on data: its backward pass returns zeros.
  public var computesInputGradient = true
  var input: Tensor?
  private var sparseInput: SparseRows?
  /// The whole batch's rows [N, ·] from this rank's part, in rank order (nil: one process).
  public var gatherRows: ((Tensor) -> Tensor)?
  /// This layer's part of a pair split among the ranks by units (nil: not split).
  public var share: UnitShare?
  /// The share that applies now: a training pass.
  var trainingShare: UnitShare? { isTraining ? share : nil }
  /// The bf16 operands of the last forward pass (BF16Linear.swift).
  let rounded: BF16Operands
  /// The weights no longer change (`Module.fixWeights`): bf16 passes round them once.
  var weightsFixed = false

  /// PyTorch's default initialisation: weight and bias uniform in ±1/√I.
  public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, generator: inout RandomGenerator) {
    self.inputSize = inputSize
    self.outputSize = outputSize
    let bound = 1 / Float(inputSize).squareRoot()
    weight = Parameter(generator.uniform([outputSize, inputSize], -bound, bound))
    self.bias = bias ? Parameter(generator.uniform([outputSize], -bound, bound)) : nil
    let copy = BF16Copy()
    weight.bf16Copy = copy
    rounded = BF16Operands(weight: copy.buffer)
  }

  public var ownParameters: [(String, Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  // MARK: Dense input

  /// y = x·Wᵀ + b. As the second layer of a shared pair, x is this rank's units of the whole
  /// batch, x_u [B, u], and y the sum over the ranks of x_u·W[:, u]ᵀ, this rank's rows of it.
  public func forward(_ x: Tensor) -> Tensor {
    if let share = trainingShare, share.side == .outputs { return forward(wholeBatch: x, units: share.units) }
    let share = trainingShare, u = share?.units ?? 0..<inputSize
    precondition(x.rank == 2 && x.shape[1] == u.count, "Linear(\(inputSize)→\(outputSize)): input \(x.shape), expected [N, \(u.count)]")
    input = x
    let n = x.shape[0]
    let product = bf16Output(x, columns: u) ?? {
      let y = Tensor(uninitialized: [n, outputSize])  // β = 0: gemm writes all of it
      BLAS.gemm(transposeB: true, m: n, n: outputSize, k: u.count,
                a: x.data, lda: u.count, b: weight.value.data + u.lowerBound, ldb: inputSize, c: y.data, ldc: outputSize)
      return y
    }()
    let y = share.map { $0.exchange.sumRows(product) } ?? product
    addBias(y)
    return y
  }

  /// dW[:, u] += dYᵀ·x over the whole batch where the ranks hold parts of it (gathered rows, or a
  /// shared pair, whose input gradient is for the whole batch too); returns dY·W[:, u].
  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Linear.backward called before forward") }
    if let share = trainingShare, share.side == .outputs { return backward(wholeBatch: dy, x, units: share.units, exchange: share.exchange) }
    let share = trainingShare, u = share?.units ?? 0..<inputSize
    // A shared layer's gradient is of this rank's rows, its input of the whole batch's.
    precondition(dy.rank == 2 && dy.shape[1] == outputSize && (share != nil || dy.shape[0] == x.shape[0]),
                 "Linear(\(inputSize)→\(outputSize)).backward: gradient \(dy.shape), expected \([x.shape[0], outputSize])")
    let gather = share.map { $0.exchange.gather } ?? gatherRows
    let dys = gather?(dy) ?? dy
    let xs = share == nil ? gatherRows?(x) ?? x : x
    precondition(dys.shape[0] == xs.shape[0], "Linear(\(inputSize)→\(outputSize)).backward: \(dys.shape[0]) gradient rows for \(xs.shape[0]) inputs")
    let dw = weight.writableGradient()
    if !bf16AddWeightGradient(dys, xs, columns: u, gathered: share == nil && gatherRows != nil, into: dw) {
      BLAS.gemm(transposeA: true, m: outputSize, n: u.count, k: dys.shape[0], a: dys.data, lda: outputSize, b: xs.data, ldb: u.count,
                beta: dw.accumulate ? 1 : 0, c: dw.gradient.data + u.lowerBound, ldc: inputSize)
    }
    // The bias of a shared pair's second layer sums over the ranks with the other gradients.
    accumulateBiasGradient(share == nil ? dys : dy)
    // dx = dY·W[:, u], for the rows x has
    let d = share == nil ? dy : dys
    guard computesInputGradient else { return Tensor(zeros: [d.shape[0], u.count]) }
    if let dx = bf16InputGradient(d, columns: u) { return dx }
    let dx = Tensor(uninitialized: [d.shape[0], u.count])
    BLAS.gemm(m: d.shape[0], n: u.count, k: outputSize, a: d.data, lda: outputSize, b: weight.value.data + u.lowerBound, ldb: inputSize,
              c: dx.data, ldc: u.count)
    return dx
  }

  // MARK: The first layer of a shared pair, on dense rows

  /// Units `u` of the whole batch's output: y = x·W[u, :]ᵀ + b[u], [N, u].
  private func forward(wholeBatch x: Tensor, units u: Range<Int>) -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == inputSize, "Linear(\(inputSize)→\(outputSize)): input \(x.shape), expected [N, \(inputSize)]")
    input = x
    sparseInput = nil
    let n = x.shape[0]
    let y = bf16Output(x, rows: u) ?? {
      let y = Tensor(uninitialized: [n, u.count])
      BLAS.gemm(transposeB: true, m: n, n: u.count, k: inputSize, a: x.data, lda: inputSize, b: weight.value.data + u.lowerBound * inputSize,
                ldb: inputSize, c: y.data, ldc: u.count)
      return y
    }()
    addBias(y, units: u)
    return y
  }

  /// dW[u, :] += dyᵀ·x and db[u] over the whole batch; returns this rank's rows of dx, the sum
  /// over the ranks of dy·W[u, :].
  private func backward(wholeBatch dy: Tensor, _ x: Tensor, units u: Range<Int>, exchange: UnitExchange) -> Tensor {
    let n = x.shape[0]
    precondition(dy.shape == [n, u.count], "Linear(\(inputSize)→\(outputSize)).backward: gradient \(dy.shape), expected \([n, u.count])")
    accumulateBiasGradient(dy, units: u)
    let dw = weight.writableGradient()
    if !bf16AddWeightGradient(dy, rows: u, into: dw) {
      BLAS.gemm(transposeA: true, m: u.count, n: inputSize, k: n, a: dy.data, lda: u.count, b: x.data, ldb: inputSize,
                beta: dw.accumulate ? 1 : 0, c: dw.gradient.data + u.lowerBound * inputSize, ldc: inputSize)
    }
    guard computesInputGradient else { return Tensor(zeros: [exchange.share(n).count, inputSize]) }
    let dx = bf16InputGradient(dy, rows: u) ?? {
      let dx = Tensor(uninitialized: [n, inputSize])
      BLAS.gemm(m: n, n: inputSize, k: u.count, a: dy.data, lda: u.count, b: weight.value.data + u.lowerBound * inputSize, ldb: inputSize,
                c: dx.data, ldc: inputSize)
      return dx
    }()
    return exchange.sumRows(dx)
  }

  /// Inference on a few rows (a server's batch of queries): each weight row is read from memory
  /// once and meets every input row in cache. sgemm would first copy (pack) the whole weight
  /// matrix on each call — 64 MB for a 4,096 · 4,096 layer — which made one query cost as much
  /// as sixteen. Larger batches go to sgemm, which packs once for many rows.
  public func infer(_ x: Tensor) -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == inputSize, "Linear(\(inputSize)→\(outputSize)): input \(x.shape), expected [N, \(inputSize)]")
    let n = x.shape[0]
    guard n <= Self.streamingRows, inputSize * outputSize >= 1 << 18 else { return forward(x) }
    let y = Tensor(zeros: [n, outputSize])
    let (w, xs, out, width, o) = (weight.value.data, x.data, y.data, inputSize, outputSize)
    let halves = fixedBF16Weights()
    // Four weight rows at a time, a slice of their columns small enough to stay in the first-level
    // cache while every input row passes; four input rows share each load of the weights.
    Threads.parallelFor((o + 3) / 4) { block in
      let first = block * 4, count = min(4, o - first)
      for k in stride(from: 0, to: width, by: Self.slice) {
        let end = min(k + Self.slice, width)
        for r in stride(from: 0, to: n, by: 4) {
          // Rows past the batch repeat its last row; their sums are not stored.
          let row = { (j: Int) in UnsafePointer(xs + min(r + j, n - 1) * width) }
          let rows = (row(0), row(1), row(2), row(3))
          let sums = halves.map { Self.dots($0 + first * width, rows: count, width: width, rows, from: k, to: end) }
            ?? Self.dots(w + first * width, rows: count, width: width, rows, from: k, to: end)
          for j in 0..<min(4, n - r) {
            let s = j == 0 ? sums.0 : j == 1 ? sums.1 : j == 2 ? sums.2 : sums.3  // no array on this hot path
            for t in 0..<count { out[(r + j) * o + first + t] += s[t] }
          }
        }
      }
    }
    addBias(y)
    return y
  }

  /// Batches of at most this many rows take the streaming path of `infer`.
  static let streamingRows = 32
  /// Columns per slice of the streaming path: four weight rows and four input rows in 32 KB.
  static let slice = 1024

  /// Over columns from..<to: the dot products of `rows` (up to 4) weight rows at `w` (row length
  /// `width`) with each of four input rows, one SIMD4 per input row.
  private static func dots(_ w: UnsafePointer<Float>, rows: Int, width: Int,
                           _ x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                           from: Int, to: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    typealias V = SIMD16<Float>
    var k = from, sums = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
    if rows == 4 {
      var a0 = V(), a1 = V(), a2 = V(), a3 = V(), b0 = V(), b1 = V(), b2 = V(), b3 = V()
      var c0 = V(), c1 = V(), c2 = V(), c3 = V(), d0 = V(), d1 = V(), d2 = V(), d3 = V()
      let raw = UnsafeRawPointer(w), stride = width * 4
      let (p, q, r, s) = (UnsafeRawPointer(x.0), UnsafeRawPointer(x.1), UnsafeRawPointer(x.2), UnsafeRawPointer(x.3))
      while k + 16 <= to {
        let o = k * 4
        let w0 = raw.loadUnaligned(fromByteOffset: o, as: V.self), w1 = raw.loadUnaligned(fromByteOffset: stride + o, as: V.self)
        let w2 = raw.loadUnaligned(fromByteOffset: 2 * stride + o, as: V.self), w3 = raw.loadUnaligned(fromByteOffset: 3 * stride + o, as: V.self)
        let xp = p.loadUnaligned(fromByteOffset: o, as: V.self), xq = q.loadUnaligned(fromByteOffset: o, as: V.self)
        let xr = r.loadUnaligned(fromByteOffset: o, as: V.self), xs = s.loadUnaligned(fromByteOffset: o, as: V.self)
        a0.addProduct(w0, xp); a1.addProduct(w1, xp); a2.addProduct(w2, xp); a3.addProduct(w3, xp)
        b0.addProduct(w0, xq); b1.addProduct(w1, xq); b2.addProduct(w2, xq); b3.addProduct(w3, xq)
        c0.addProduct(w0, xr); c1.addProduct(w1, xr); c2.addProduct(w2, xr); c3.addProduct(w3, xr)
        d0.addProduct(w0, xs); d1.addProduct(w1, xs); d2.addProduct(w2, xs); d3.addProduct(w3, xs)
        k += 16
      }
      sums = (SIMD4(a0.sum(), a1.sum(), a2.sum(), a3.sum()), SIMD4(b0.sum(), b1.sum(), b2.sum(), b3.sum()),
              SIMD4(c0.sum(), c1.sum(), c2.sum(), c3.sum()), SIMD4(d0.sum(), d1.sum(), d2.sum(), d3.sum()))
    }
    // The tail, and the last block's fewer rows.
    for c in k..<to {
      for t in 0..<rows {
        let v = w[t * width + c]
        sums.0[t] += v * x.0[c]; sums.1[t] += v * x.1[c]; sums.2[t] += v * x.2[c]; sums.3[t] += v * x.3[c]
      }
    }
    return sums
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
    // Output columns: every unit, or this rank's units of a shared pair (of the whole batch).
    let units = trainingShare?.units ?? 0..<outputSize, first = units.lowerBound
    let (n, o, width) = (x.rowCount, units.count, inputSize)
    let y = Tensor(zeros: [n, o])
    let (w, out) = (weight.value.data, y.data)
    forEachOutputGroup(x, units) { outputs, starts, columns, values in
      guard outputs.count == 8 else {  // the last, partial group
        for r in 0..<n {
          for j in outputs {
            var sum: Float = 0
            for e in starts[r]..<starts[r + 1] { sum += values[e] * w[j * width + Int(columns[e])] }
            out[r * o + j - first] = sum
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
        UnsafeMutableRawPointer(out + r * o + outputs.lowerBound - first).storeBytes(of: sum, as: SIMD8<Float>.self)
      }
    }
    addBias(y, units: units)
    return y
  }

  /// Backward for sparse rows: dW[o, c_j] += dy[r, o]·v_j over the row's entries (and the bias);
  /// the input (data) has no gradient.
  public func backwardSparse(_ dy: Tensor) {
    guard let x = sparseInput else { preconditionFailure("Linear.backwardSparse called before forward(sparse:)") }
    precondition(gatherRows == nil, "Linear.backwardSparse: a layer of sparse rows sums its gradients over the ranks instead of gathering rows")
    let units = trainingShare?.units ?? 0..<outputSize, first = units.lowerBound
    let (n, o, width) = (x.rowCount, units.count, inputSize)
    precondition(dy.shape == [n, o], "Linear.backwardSparse: gradient \(dy.shape), expected \([n, o])")
    accumulateBiasGradient(dy, units: units)
    let (dw, d) = (weight.grad.data, dy.data)
    forEachOutputGroup(x, units) { outputs, starts, columns, values in
      guard outputs.count == 8 else {  // the last, partial group
        for r in 0..<n {
          for j in outputs {
            for e in starts[r]..<starts[r + 1] { dw[j * width + Int(columns[e])] += d[r * o + j - first] * values[e] }
          }
        }
        return
      }
      let rows = outputs.map { dw + $0 * width }
      for r in 0..<n {
        let g = UnsafeRawPointer(d + r * o + outputs.lowerBound - first).loadUnaligned(as: SIMD8<Float>.self)
        for e in starts[r]..<starts[r + 1] {
          let (c, update) = (Int(columns[e]), g * values[e])
          for t in 0..<8 { rows[t][c] += update[t] }
        }
      }
    }
  }

  /// Runs `body` for each group of eight consecutive outputs of `units` (the last may be shorter)
  /// on all threads, with the rows' entries: starts, columns, values.
  private func forEachOutputGroup(_ x: SparseRows, _ units: Range<Int>,
                                  _ body: (Range<Int>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) -> Void) {
    let (first, end) = (units.lowerBound, units.upperBound)
    x.withEntries { starts, columns, values in
      Threads.parallelFor((units.count + 7) / 8) { group in body((first + group * 8)..<min(end, first + group * 8 + 8), starts, columns, values) }
    }
  }

  // MARK: Bias

  /// y [N, units] += b[units] (every unit by default).
  func addBias(_ y: Tensor, units: Range<Int>? = nil) {
    guard let b = bias?.value.data else { return }
    let units = units ?? 0..<outputSize
    cmh_add_to_rows(y.data, b + units.lowerBound, y.shape[0], units.count)
  }

  /// db[units] += the column sums of dy [N, units] (every unit by default).
  func accumulateBiasGradient(_ dy: Tensor, units: Range<Int>? = nil) {
    guard let db = bias?.grad.data else { return }
    let units = units ?? 0..<outputSize
    cmh_add_column_sums(dy.data, dy.shape[0], units.count, db + units.lowerBound)
  }
}
