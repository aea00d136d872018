// Conv2D: 2-D convolution by im2col + sgemm (a direct sgemm for 1×1 stride-1, Winograd for 3×3
// stride-1 padding-1), forward and backward; in bf16 through oneDNN (BF16Convolution.swift).
// Shapes: input [N, C, H, W], weight [O, C, KH, KW], bias [O], output [N, O, Ho, Wo].

import Foundation
import Platform

public final class Conv2D: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
  public var isTraining = true
  /// The first layer of a network needs no input gradient; skipping it saves a third of its backward.
  public var computesInputGradient = true
  var input: Tensor?
  /// The forward pass's bf16 copy of the input in oneDNN's layout, for the bf16 backward pass.
  var keptInput: Tensor?
  /// The forward pass took its input in oneDNN's layout (`keptInput` is it), of this shape.
  var blockedInputShape: [Int]?
  /// The weights no longer change (`Module.fixWeights`): bf16 inference keeps them prepared.
  var weightsFixed = false
  var prepared: BF16Inference.PreparedWeights?
  /// How many floats of im2col columns one sgemm takes at most: 4 MB, so that the columns are
  /// still in cache when sgemm reads them (measured fastest for ResNet's 3×3 layers).
  nonisolated(unsafe) public static var columnBudget = 1 << 20
  /// 3×3 stride-1 padding-1 layers go through Winograd's F(4×4, 3×3) (off: im2col, for comparison).
  nonisolated(unsafe) public static var usesWinograd = true

  /// Kaiming-normal weights (fan-out, ReLU gain) as torchvision's ResNet initialises them; zero bias.
  public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
              bias: Bool = false, generator: inout RandomGenerator) {
    precondition(kernelSize >= 1 && stride >= 1 && padding >= 0, "Conv2D: kernel \(kernelSize), stride \(stride), padding \(padding)")
    self.inChannels = inChannels; self.outChannels = outChannels
    self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
    let std = (2 / Float(outChannels * kernelSize * kernelSize)).squareRoot()
    weight = Parameter(generator.normal([outChannels, inChannels, kernelSize, kernelSize], std: std))
    self.bias = bias ? Parameter(Tensor(zeros: [outChannels])) : nil
  }

  public var ownParameters: [(String, Parameter)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  func geometry(_ x: Tensor) -> ConvGeometry {
    precondition(x.rank == 4 && x.shape[1] == inChannels,
                 "Conv2D(\(inChannels)→\(outChannels), \(kernelSize)×\(kernelSize)): input \(x.shape), expected [N, \(inChannels), H, W]")
    let g = ConvGeometry(channels: inChannels, height: x.shape[2], width: x.shape[3],
                         kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    precondition(g.outputHeight > 0 && g.outputWidth > 0, "Conv2D: input \(x.shape) is smaller than the \(kernelSize)×\(kernelSize) kernel")
    return g
  }

  private var isPointwise: Bool { kernelSize == 1 && stride == 1 && padding == 0 }

  // MARK: Forward

  public func forward(_ x: Tensor) -> Tensor {
    input = x
    return output(x, then: bias.map { ChannelAffine(bias: $0.value.scalars) }, keeping: true)
  }

  /// The convolution in evaluation mode, with nothing kept for a backward.
  public func infer(_ x: Tensor) -> Tensor { infer(x, then: nil) }

  /// The convolution followed by `after` (a folded evaluation-mode BatchNorm and ReLU), applied as
  /// the outputs are written.
  public func infer(_ x: Tensor, then after: ChannelAffine?) -> Tensor {
    guard let bias else { return output(x, then: after, keeping: false) }
    let b = bias.value.scalars
    return output(x, then: after?.afterBias(b) ?? ChannelAffine(bias: b), keeping: false)
  }

  private func output(_ x: Tensor, then affine: ChannelAffine?, keeping: Bool) -> Tensor {
    let g = geometry(x), n = x.shape[0], oc = outChannels, plane = g.outputPlane
    if let y = bf16Output(x, g, keeping: keeping) {
      if let affine { Threads.parallelFor(n * oc) { j in affine.apply(y.data + j * plane, count: plane, channel: j % oc) } }
      return y
    }
    let y = Tensor(uninitialized: [n, oc, g.outputHeight, g.outputWidth])
    guard isPointwise else {
      Self.convolve(x.data, batch: n, g, weights: weight.value.data, outChannels: oc, into: y.data, then: affine)
      return y
    }
    for i in 0..<n {
      BLAS.gemm(m: oc, n: plane, k: inChannels, a: weight.value.data, lda: inChannels,
                b: x.data + i * g.imageSize, ldb: plane, c: y.data + i * oc * plane, ldc: plane)
    }
    if let affine { Threads.parallelFor(n * oc) { j in affine.apply(y.data + j * plane, count: plane, channel: j % oc) } }
    return y
  }

  /// y = W ⋆ x over a batch. Each worker takes a share of the images and, chunk by chunk, runs
  /// im2col, one single-threaded sgemm, and lays the product [O, b·plane] out as [b, O, plane].
  /// Chunks stay small enough for the columns to be read back from cache.
  static func convolve(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry, weights: UnsafePointer<Float>,
                       outChannels oc: Int, into y: UnsafeMutablePointer<Float>, then affine: ChannelAffine? = nil) {
    if usesWinograd && Winograd.applies(g) {
      return Winograd.convolve(x, batch: n, g, weights: weights, outChannels: oc, into: y, then: affine)
    }
    let plane = g.outputPlane, nb = chunkSize(g, batch: n)
    Threads.splitWork(n) { worker, images in
      let columns = Scratch.shared.buffer(0, worker: worker, count: g.patchSize * nb * plane)
      let product = Scratch.shared.buffer(1, worker: worker, count: oc * nb * plane)
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), l = b * plane
        for i in 0..<b { Im2col.unfold(x + (start + i) * g.imageSize, g, into: columns, rowStride: l, offset: i * plane) }
        BLAS.gemm(m: oc, n: l, k: g.patchSize, a: weights, lda: g.patchSize, b: columns, ldb: l, c: product, ldc: l)
        let out = y + start * oc * plane
        for j in 0..<b * oc {
          (out + j * plane).update(from: product + (j % oc) * l + (j / oc) * plane, count: plane)
          affine?.apply(out + j * plane, count: plane, channel: j % oc)
        }
      }
    }
  }

  /// Images per sgemm so that the column matrix stays within budget (at least one image).
  static func chunkSize(_ g: ConvGeometry, batch: Int) -> Int {
    max(1, min(batch, columnBudget / max(1, g.patchSize * g.outputPlane)))
  }

  // MARK: Backward

  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Conv2D.backward called before forward") }
    let g = geometry(x), n = x.shape[0]
    precondition(dy.shape == [n, outChannels, g.outputHeight, g.outputWidth],
                 "Conv2D.backward: gradient \(dy.shape), expected \([n, outChannels, g.outputHeight, g.outputWidth])")
    if let bias { accumulateBiasGradient(dy, into: bias.grad) }
    if let dx = bf16Backward(x, dy) { return dx }
    if isPointwise { return pointwiseBackward(x, dy, g) }
    accumulateWeightGradient(x, dy, g)
    guard computesInputGradient else { return Tensor(zeros: x.shape) }
    if stride == 1 && padding < kernelSize { return transposedConvolution(dy, g) }
    return foldedInputGradient(dy, g)
  }

  /// dW += dY·colsᵀ. Each worker sums its images into a private buffer; the buffers are added
  /// in worker order, so the result does not depend on scheduling.
  private func accumulateWeightGradient(_ x: Tensor, _ dy: Tensor, _ g: ConvGeometry) {
    if Self.usesWinograd && Winograd.applies(g) {
      return Winograd.accumulateWeightGradient(x.data, dy.data, batch: x.shape[0], g, outChannels: outChannels, into: weight.grad.data)
    }
    let n = x.shape[0], plane = g.outputPlane, oc = outChannels, k = g.patchSize, nb = Self.chunkSize(g, batch: n)
    let workers = Threads.workers(for: n)
    let partial = (0..<workers).map { Scratch.shared.buffer(2, worker: $0, count: oc * k) }
    Threads.splitWork(n) { worker, images in
      let columns = Scratch.shared.buffer(0, worker: worker, count: k * nb * plane)
      let gathered = Scratch.shared.buffer(1, worker: worker, count: oc * nb * plane)
      var beta: Float = 0
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), l = b * plane
        for i in 0..<b { Im2col.unfold(x.data + (start + i) * g.imageSize, g, into: columns, rowStride: l, offset: i * plane) }
        self.gatherChannelsFirst(dy.data + start * oc * plane, images: b, plane: plane, into: gathered)
        BLAS.gemm(transposeB: true, m: oc, n: k, k: l, a: gathered, lda: l, b: columns, ldb: l,
                  beta: beta, c: partial[worker], ldc: k)
        beta = 1
      }
    }
    let dw = weight.grad.data
    for p in partial { for i in 0..<oc * k { dw[i] += p[i] } }
  }

  /// For stride 1, dX is itself a convolution: dY convolved with the weights flipped in space and
  /// with in/out channels swapped, padding k − 1 − p. Its sgemm has depth O·k² instead of the O
  /// of the column path, and no scatter-add.
  private func transposedConvolution(_ dy: Tensor, _ g: ConvGeometry) -> Tensor {
    let k = kernelSize, c = inChannels, oc = outChannels
    let flipped = Tensor(uninitialized: [c, oc, k, k]), w = weight.value.data
    for o in 0..<oc { for ci in 0..<c { for ki in 0..<k { for kj in 0..<k {
      flipped.data[((ci * oc + o) * k + (k - 1 - ki)) * k + (k - 1 - kj)] = w[((o * c + ci) * k + ki) * k + kj]
    } } } }
    let gt = ConvGeometry(channels: oc, height: g.outputHeight, width: g.outputWidth, kernelHeight: k, kernelWidth: k,
                          stride: 1, padding: k - 1 - padding)
    let dx = Tensor(uninitialized: [dy.shape[0], c, g.height, g.width])
    Self.convolve(dy.data, batch: dy.shape[0], gt, weights: flipped.data, outChannels: c, into: dx.data)
    return dx
  }

  /// For strides above 1: dcols = Wᵀ·dY, folded (scatter-added) back onto the images.
  private func foldedInputGradient(_ dy: Tensor, _ g: ConvGeometry) -> Tensor {
    let n = dy.shape[0], plane = g.outputPlane, oc = outChannels, k = g.patchSize, nb = Self.chunkSize(g, batch: n)
    let dx = Tensor(zeros: [n, inChannels, g.height, g.width])
    Threads.splitWork(n) { worker, images in
      let gathered = Scratch.shared.buffer(1, worker: worker, count: oc * nb * plane)
      let dColumns = Scratch.shared.buffer(0, worker: worker, count: k * nb * plane)
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), l = b * plane
        self.gatherChannelsFirst(dy.data + start * oc * plane, images: b, plane: plane, into: gathered)
        BLAS.gemm(transposeA: true, m: k, n: l, k: oc, a: self.weight.value.data, lda: k, b: gathered, ldb: l, c: dColumns, ldc: l)
        for i in 0..<b { Im2col.fold(dColumns, g, rowStride: l, offset: i * plane, into: dx.data + (start + i) * g.imageSize) }
      }
    }
    return dx
  }

  /// [b, O, plane] → [O, b·plane]
  private func gatherChannelsFirst(_ src: UnsafePointer<Float>, images b: Int, plane: Int, into dst: UnsafeMutablePointer<Float>) {
    let oc = outChannels, l = b * plane
    for j in 0..<b * oc { (dst + (j % oc) * l + (j / oc) * plane).update(from: src + j * plane, count: plane) }
  }

  /// The 1×1 stride-1 case: plain products per image, no columns.
  private func pointwiseBackward(_ x: Tensor, _ dy: Tensor, _ g: ConvGeometry) -> Tensor {
    let plane = g.outputPlane
    let dx = Tensor(zeros: x.shape)
    for i in 0..<x.shape[0] {
      let dyi = dy.data + i * outChannels * plane, xi = x.data + i * g.imageSize
      BLAS.gemm(transposeB: true, m: outChannels, n: inChannels, k: plane, a: dyi, lda: plane,
                b: xi, ldb: plane, beta: 1, c: weight.grad.data, ldc: inChannels)
      if computesInputGradient {
        BLAS.gemm(transposeA: true, m: inChannels, n: plane, k: outChannels, a: weight.value.data, lda: inChannels,
                  b: dyi, ldb: plane, c: dx.data + i * g.imageSize, ldc: plane)
      }
    }
    return dx
  }

  // MARK: Bias

  private func accumulateBiasGradient(_ dy: Tensor, into db: Tensor) {
    let plane = dy.shape[2] * dy.shape[3], oc = outChannels
    for i in 0..<dy.shape[0] {
      for o in 0..<oc {
        let p = dy.data + (i * oc + o) * plane
        var s: Float = 0
        for q in 0..<plane { s += p[q] }
        db.data[o] += s
      }
    }
  }
}
