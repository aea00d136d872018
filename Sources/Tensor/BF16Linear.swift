// Linear in bfloat16: oneDNN's matrix products (CDNNL) for the dense forward and backward passes
// when Precision.current is bf16. The input, the weights and the output gradient are rounded to
// bf16, products accumulate in float32, the output, the input gradient and the weight gradient
// come back as float32 (the weight gradient added to the float32 one), so the optimiser, the
// master weights and everything after the layer are unchanged. The rounded weights and input of
// a forward pass serve its backward pass. A oneDNN failure switches the run to float32 for good.

import CDNNL
import CVector
import Platform

/// A reusable buffer of bf16 numbers.
final class BF16Buffer {
  private(set) var pointer = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
  private var capacity = 0

  deinit { pointer.deallocate() }

  private func reserve(_ n: Int) {
    guard n > capacity else { return }
    pointer.deallocate()
    pointer = .allocate(capacity: n)
    capacity = n
  }

  /// Holds columns `columns` of `t` [rows, width] rounded to bf16, packed as [rows, columns.count].
  func round(columns: Range<Int>, of t: Tensor) {
    let (rows, width, count) = (t.shape[0], t.shape[1], columns.count)
    guard count < width else { return round(t) }
    reserve(rows * count)
    let (source, target) = (UnsafePointer(t.data) + columns.lowerBound, pointer)
    let block = max(1, (1 << 16) / count)
    Threads.parallelFor((rows + block - 1) / block) { b in
      let first = b * block
      cmh_bf16_round_rows(source + first * width, width, target + first * count, count, min(block, rows - first))
    }
  }

  /// Holds `t`'s numbers rounded to bf16, on every thread.
  func round(_ t: Tensor) { round(UnsafePointer(t.data), count: t.count) }

  /// Holds rows `rows` of `t` [·, width] rounded to bf16.
  func round(rows: Range<Int>, of t: Tensor) { round(UnsafePointer(t.data) + rows.lowerBound * t.shape[1], count: rows.count * t.shape[1]) }

  private func round(_ source: UnsafePointer<Float>, count n: Int) {
    reserve(n)
    let target = pointer
    let chunk = 1 << 16
    Threads.parallelFor((n + chunk - 1) / chunk) { c in
      let start = c * chunk
      cmh_bf16_round(source + start, target + start, min(chunk, n - start))
    }
  }
}

/// A weight's bf16 copy for its layer's next bf16 pass. An optimiser step that updates exactly the
/// region the copy holds writes it as it goes (`Optimizer.step`), and the pass takes it instead of
/// reading every weight again to round it: once, and only if the weights had no whole write since
/// (`Tensor.writes`: a checkpoint loaded, the collapse guard's restore, the ranks' settle). Fixed
/// weights (`Module.fixWeights`: inference) keep the copy a pass rounded until such a write.
final class BF16Copy {
  let buffer = BF16Buffer()
  /// The region of the weights the buffer holds, packed: all of them, a rank's rows or columns.
  private(set) var region: Segments?
  /// The weights' write count when an optimiser step last wrote the buffer (nil: no step since the
  /// buffer was last taken or rounded).
  var writtenAt: Int?

  /// `buffer` holding `region` of `weights`: as the last optimiser step (or, for `fixed` weights,
  /// the last pass) left it, or rounded now.
  func hold(_ region: Segments, of weights: Tensor, fixed: Bool, round: (BF16Buffer) -> Void) {
    if !(writtenAt == weights.writes && self.region == region) {
      round(buffer)
      self.region = region
    }
    // Weights that train change in place before the next pass, which rounds them again unless
    // the step between writes the copy.
    writtenAt = fixed ? weights.writes : nil
  }
}

/// What a bf16 forward pass keeps for its backward pass; `weight` is the layer's BF16Copy's buffer.
final class BF16Operands {
  let weight: BF16Buffer, input = BF16Buffer(), gradient = BF16Buffer(), rows = BF16Buffer()

  init(weight: BF16Buffer) { self.weight = weight }
  /// The forward pass ran in bf16 and `weight` and `input` hold its operands.
  var isCurrent = false
}

extension Linear {
  /// Products smaller than this (multiply-adds) cost less in float32 than a oneDNN call.
  static let bf16Work = 1 << 20

  func runsBF16(rows: Int) -> Bool {
    rows * inputSize * outputSize >= Self.bf16Work && Precision.current == .bf16
  }

  /// y = x·W[:, u]ᵀ in bf16 (bias not added; u every column but in a shared pair's second layer),
  /// or nil when bf16 does not run.
  func bf16Output(_ x: Tensor, columns u: Range<Int>) -> Tensor? {
    let n = x.shape[0]
    rounded.isCurrent = false
    guard runsBF16(rows: n) else { return nil }
    roundWeights(columns: u)  // [O, u]
    rounded.input.round(x)
    let y = Tensor(uninitialized: [n, outputSize])
    // A = x [n, u]; B = W[:, u]ᵀ
    guard multiply(m: n, n: outputSize, k: u.count, rounded.input, transposeA: false, rounded.weight, transposeB: true, into: y.data, accumulate: false)
    else { return nil }
    rounded.isCurrent = true
    return y
  }

  /// y = x·W[u, :]ᵀ in bf16 (the units `u` of a shared pair's first layer; bias not added), or nil
  /// when bf16 does not run.
  func bf16Output(_ x: Tensor, rows u: Range<Int>) -> Tensor? {
    let n = x.shape[0]
    rounded.isCurrent = false
    guard n * inputSize * u.count >= Self.bf16Work && Precision.current == .bf16 else { return nil }
    weight.bf16Copy!.hold(.rows(u, width: inputSize), of: weight.value, fixed: weightsFixed) { $0.round(rows: u, of: weight.value) }  // [u, I]
    rounded.input.round(x)
    let y = Tensor(uninitialized: [n, u.count])
    guard multiply(m: n, n: u.count, k: inputSize, rounded.input, transposeA: false, rounded.weight, transposeB: true, into: y.data, accumulate: false)
    else { return nil }
    rounded.isCurrent = true
    return y
  }

  /// dW[u, :] += dyᵀ·x in bf16 (dy [N, u], x the forward pass's input); false when bf16 does not run.
  func bf16AddWeightGradient(_ dy: Tensor, rows u: Range<Int>, into dw: (gradient: Tensor, accumulate: Bool)) -> Bool {
    guard rounded.isCurrent && Precision.current == .bf16 else { return false }
    rounded.gradient.round(dy)
    return multiply(m: u.count, n: inputSize, k: dy.shape[0], rounded.gradient, transposeA: true, rounded.input, transposeB: false,
                    into: dw.gradient.data + u.lowerBound * inputSize, accumulate: dw.accumulate, ldc: inputSize)
  }

  /// The bf16 copy of fixed weights in bf16 runs (made on first use), which the streaming path of
  /// `infer` reads: half the bytes of its memory-bound pass. Nil otherwise.
  func fixedBF16Weights() -> UnsafePointer<UInt16>? {
    guard weightsFixed && Precision.current == .bf16 else { return nil }
    roundWeights(columns: 0..<inputSize)
    return UnsafePointer(rounded.weight.pointer)
  }

  /// Puts columns `u` of the weights in bf16 into `rounded.weight` (the layer's BF16Copy), unless
  /// they are there already.
  private func roundWeights(columns u: Range<Int>) {
    let region = u.count == inputSize ? Segments.all(weight.value.count) : .columns(u, rows: outputSize, width: inputSize)
    weight.bf16Copy!.hold(region, of: weight.value, fixed: weightsFixed) { $0.round(columns: u, of: weight.value) }
  }

  /// Over columns from..<to: the dot products of `rows` (up to 4) bf16 weight rows at `w` with
  /// each of four float32 input rows, one SIMD4 per input row (as `dots` of float32 weights).
  static func dots(_ w: UnsafePointer<UInt16>, rows: Int, width: Int,
                   _ x: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                   from: Int, to: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    var s = SIMD16<Float>()
    withUnsafeMutableBytes(of: &s) { cmh_bf16_dots(w, width, Int32(rows), x.0, x.1, x.2, x.3, from, to, $0.baseAddress!.assumingMemoryBound(to: Float.self)) }
    return (SIMD4(s[0], s[1], s[2], s[3]), SIMD4(s[4], s[5], s[6], s[7]), SIMD4(s[8], s[9], s[10], s[11]), SIMD4(s[12], s[13], s[14], s[15]))
  }

  /// dW[:, u] += dysᵀ·xs in bf16 (xs gathered from every rank when `gathered`, else the forward
  /// pass's input); false when bf16 does not run (nothing has been added then).
  func bf16AddWeightGradient(_ dys: Tensor, _ xs: Tensor, columns u: Range<Int>, gathered: Bool, into dw: (gradient: Tensor, accumulate: Bool)) -> Bool {
    guard rounded.isCurrent && Precision.current == .bf16 else { return false }
    rounded.gradient.round(dys)
    if gathered { rounded.rows.round(xs) }
    // A = dysᵀ, dys stored [rows, O]; B = xs [rows, u]; C = dW[:, u], rows inputSize apart
    return multiply(m: outputSize, n: u.count, k: dys.shape[0], rounded.gradient, transposeA: true, gathered ? rounded.rows : rounded.input,
                    transposeB: false, into: dw.gradient.data + u.lowerBound, accumulate: dw.accumulate, ldc: inputSize)
  }

  /// dx = dy·W[u, :] in bf16 (dy [N, u], the units of a shared pair's first layer), or nil when
  /// bf16 does not run.
  func bf16InputGradient(_ dy: Tensor, rows u: Range<Int>) -> Tensor? {
    guard rounded.isCurrent && Precision.current == .bf16 else { return nil }
    let n = dy.shape[0]
    rounded.gradient.round(dy)
    let dx = Tensor(uninitialized: [n, inputSize])
    // A = dy [n, u]; B = W[u, :] [u, I]
    guard multiply(m: n, n: inputSize, k: u.count, rounded.gradient, transposeA: false, rounded.weight, transposeB: false, into: dx.data, accumulate: false)
    else { return nil }
    return dx
  }

  /// dx = dy·W[:, u] in bf16, or nil when bf16 does not run.
  func bf16InputGradient(_ dy: Tensor, columns u: Range<Int>) -> Tensor? {
    guard rounded.isCurrent && Precision.current == .bf16 else { return nil }
    let n = dy.shape[0]
    rounded.gradient.round(dy)  // the rows of x (the weight gradient may have taken every rank's)
    let dx = Tensor(uninitialized: [n, u.count])
    // A = dy [n, O]; B = W[:, u] [O, u]
    guard multiply(m: n, n: u.count, k: outputSize, rounded.gradient, transposeA: false, rounded.weight, transposeB: false, into: dx.data, accumulate: false)
    else { return nil }
    return dx
  }

  /// C [m, n] (rows `ldc` apart; 0: packed) = or += op(A)·op(B) in bf16; false when it did not run.
  func multiply(m: Int, n: Int, k: Int, _ a: BF16Buffer, transposeA: Bool, _ b: BF16Buffer, transposeB: Bool,
                into c: UnsafeMutablePointer<Float>, accumulate: Bool, ldc: Int = 0) -> Bool {
    var s = cmh_matmul_shape(m: Int32(m), n: Int32(n), k: Int32(k), transpose_a: transposeA ? 1 : 0,
                             transpose_b: transposeB ? 1 : 0, accumulate: accumulate ? 1 : 0, ldc: Int32(ldc))
    switch cmh_dnnl_matmul(&s, a.pointer, b.pointer, c) {
    case 0: return true
    case 1: return false  // only oneDNN's reference code for this shape: float32 is faster
    default:
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return false
    }
  }
}
