// Linear's training passes as the second layer of a pair split among the ranks by units
// (UnitShare, side .inputs). Its input is this rank's units of the whole batch, x_u [B, u]; its
// output is the sum over the ranks of x_u · W[:, u]ᵀ, of which each rank keeps its rows of the
// batch, plus the bias. Backward gathers the batch's output gradient dY [B, O] and computes the
// weight columns W[:, u] this rank owns and the gradient of x_u; the bias gradient comes from
// this rank's rows and is summed over the ranks with the other gradients. bf16 as in
// BF16Linear.swift: the weight columns rounded and packed, products accumulated in float32.

import Platform

extension Linear {
  func sharedForward(_ x: Tensor, _ share: UnitShare) -> Tensor {
    let u = share.units
    precondition(share.side == .inputs && x.rank == 2 && x.shape[1] == u.count,
                 "Linear(\(inputSize)→\(outputSize)) shared by its inputs \(u): input \(x.shape), expected [N, \(u.count)]")
    input = x
    let n = x.shape[0]
    let partial = bf16SharedOutput(x, u) ?? {
      let y = Tensor(zeros: [n, outputSize])
      BLAS.gemm(transposeB: true, m: n, n: outputSize, k: u.count, a: x.data, lda: u.count,
                b: weight.value.data + u.lowerBound, ldb: inputSize, c: y.data, ldc: outputSize)
      return y
    }()
    let y = share.exchange.sumRows(partial)
    addBias(y)
    return y
  }

  func sharedBackward(_ dy: Tensor, _ share: UnitShare) -> Tensor {
    guard let x = input else { preconditionFailure("Linear.backward called before forward") }
    let u = share.units, dys = share.exchange.gather(dy), n = dys.shape[0]
    precondition(dys.shape == [x.shape[0], outputSize], "Linear(\(inputSize)→\(outputSize)).backward: gathered gradient \(dys.shape), expected \([x.shape[0], outputSize])")
    accumulateBiasGradient(dy)
    // dW[:, u] += dYᵀ·x_u
    if !bf16AddSharedWeightGradient(dys, u) {
      BLAS.gemm(transposeA: true, m: outputSize, n: u.count, k: n, a: dys.data, lda: outputSize, b: x.data, ldb: u.count,
                beta: 1, c: weight.grad.data + u.lowerBound, ldc: inputSize)
    }
    // dx_u = dY·W[:, u]
    if let dx = bf16SharedInputGradient(n, u) { return dx }
    let dx = Tensor(zeros: [n, u.count])
    BLAS.gemm(m: n, n: u.count, k: outputSize, a: dys.data, lda: outputSize, b: weight.value.data + u.lowerBound, ldb: inputSize,
              c: dx.data, ldc: u.count)
    return dx
  }

  // MARK: bf16

  /// x_u·W[:, u]ᵀ in bf16, or nil when bf16 does not run.
  private func bf16SharedOutput(_ x: Tensor, _ u: Range<Int>) -> Tensor? {
    let n = x.shape[0]
    rounded.isCurrent = false
    guard runsBF16(rows: n) else { return nil }
    rounded.weight.round(columns: u, of: weight.value)  // [O, u]
    rounded.input.round(x)
    let y = Tensor(uninitialized: [n, outputSize])
    guard multiply(m: n, n: outputSize, k: u.count, rounded.input, transposeA: false, rounded.weight, transposeB: true, into: y.data, accumulate: false)
    else { return nil }
    rounded.isCurrent = true
    return y
  }

  /// dW[:, u] += dYᵀ·x_u in bf16 (dY rounded here for the input gradient too); false when bf16
  /// does not run (nothing has been added then).
  private func bf16AddSharedWeightGradient(_ dys: Tensor, _ u: Range<Int>) -> Bool {
    guard rounded.isCurrent && Precision.current == .bf16 else { return false }
    rounded.gradient.round(dys)
    return multiply(m: outputSize, n: u.count, k: dys.shape[0], rounded.gradient, transposeA: true, rounded.input, transposeB: false,
                    into: weight.grad.data + u.lowerBound, accumulate: true, ldc: inputSize)
  }

  /// dY·W[:, u] in bf16 from the operands rounded above, or nil.
  private func bf16SharedInputGradient(_ n: Int, _ u: Range<Int>) -> Tensor? {
    guard rounded.isCurrent && Precision.current == .bf16 else { return nil }
    let dx = Tensor(uninitialized: [n, u.count])
    guard multiply(m: n, n: u.count, k: outputSize, rounded.gradient, transposeA: false, rounded.weight, transposeB: false, into: dx.data, accumulate: false)
    else { return nil }
    return dx
  }
}
