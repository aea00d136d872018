// Conv2D: 2-D convolution by im2col + sgemm (a direct sgemm for 1×1 stride-1), forward and backward.
// Shapes: input [N, C, H, W], weight [O, C, KH, KW], bias [O], output [N, O, Ho, Wo].

import Foundation

public final class Conv2D: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
  public var isTraining = true
  /// The first layer of a network needs no input gradient; skipping it saves a third of its backward.
  public var computesInputGradient = true
  private var input: Tensor?
  /// How many floats of im2col columns one sgemm may take at most (about 64 MB).
  static let columnBudget = 16 << 20

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

  /// Images per sgemm so that the column matrix stays within budget.
  private func chunkSize(_ g: ConvGeometry, batch: Int) -> Int {
    max(1, min(batch, Conv2D.columnBudget / max(1, g.patchSize * g.outputPlane)))
  }

  // MARK: Forward

  public func forward(_ x: Tensor) -> Tensor {
    let g = geometry(x), n = x.shape[0], plane = g.outputPlane
    input = x
    let y = Tensor(uninitialized: [n, outChannels, g.outputHeight, g.outputWidth])
    if isPointwise {
      for i in 0..<n {
        BLAS.gemm(m: outChannels, n: plane, k: inChannels, a: weight.value.data, lda: inChannels,
                  b: x.data + i * g.imageSize, ldb: plane, c: y.data + i * outChannels * plane, ldc: plane)
      }
    } else {
      let nb = chunkSize(g, batch: n)
      let columns = Scratch.shared.buffer(0, count: g.patchSize * nb * plane)
      let product = Scratch.shared.buffer(1, count: outChannels * nb * plane)
      for start in Swift.stride(from: 0, to: n, by: nb) {
        let b = min(nb, n - start), l = b * plane
        Threads.parallelFor(b) { i in
          Im2col.unfold(x.data + (start + i) * g.imageSize, g, into: columns, rowStride: l, offset: i * plane)
        }
        BLAS.gemm(m: outChannels, n: l, k: g.patchSize, a: weight.value.data, lda: g.patchSize,
                  b: columns, ldb: l, c: product, ldc: l)
        // [O, b·plane] → [b, O, plane]
        let out = y.data + start * outChannels * plane, oc = outChannels
        Threads.parallelFor(b * oc) { j in
          let i = j / oc, o = j % oc
          (out + j * plane).update(from: product + o * l + i * plane, count: plane)
        }
      }
    }
    if let bias { addBias(bias.value, to: y) }
    return y
  }

  // MARK: Backward

  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("Conv2D.backward called before forward") }
    let g = geometry(x), n = x.shape[0], plane = g.outputPlane
    precondition(dy.shape == [n, outChannels, g.outputHeight, g.outputWidth],
                 "Conv2D.backward: gradient \(dy.shape), expected \([n, outChannels, g.outputHeight, g.outputWidth])")
    let dx = Tensor(zeros: x.shape)
    if let bias { accumulateBiasGradient(dy, into: bias.grad) }
    if isPointwise {
      for i in 0..<n {
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
    let nb = chunkSize(g, batch: n), oc = outChannels, k = g.patchSize
    let columns = Scratch.shared.buffer(0, count: k * nb * plane)
    let gathered = Scratch.shared.buffer(1, count: oc * nb * plane)
    let dColumns = Scratch.shared.buffer(2, count: k * nb * plane)
    for start in Swift.stride(from: 0, to: n, by: nb) {
      let b = min(nb, n - start), l = b * plane
      Threads.parallelFor(b) { i in
        Im2col.unfold(x.data + (start + i) * g.imageSize, g, into: columns, rowStride: l, offset: i * plane)
      }
      // [b, O, plane] → [O, b·plane]
      let src = dy.data + start * oc * plane
      Threads.parallelFor(b * oc) { j in
        let i = j / oc, o = j % oc
        (gathered + o * l + i * plane).update(from: src + j * plane, count: plane)
      }
      // dW += dY·colsᵀ
      BLAS.gemm(transposeB: true, m: oc, n: k, k: l, a: gathered, lda: l, b: columns, ldb: l,
                beta: 1, c: weight.grad.data, ldc: k)
      guard computesInputGradient else { continue }
      // dcols = Wᵀ·dY, folded back onto the images
      BLAS.gemm(transposeA: true, m: k, n: l, k: oc, a: weight.value.data, lda: k, b: gathered, ldb: l,
                c: dColumns, ldc: l)
      Threads.parallelFor(b) { i in
        Im2col.fold(dColumns, g, rowStride: l, offset: i * plane, into: dx.data + (start + i) * g.imageSize)
      }
    }
    return dx
  }

  // MARK: Bias

  private func addBias(_ b: Tensor, to y: Tensor) {
    let plane = y.shape[2] * y.shape[3], oc = outChannels
    Threads.parallelFor(y.shape[0] * oc) { j in
      let v = b.data[j % oc], p = y.data + j * plane
      for q in 0..<plane { p[q] += v }
    }
  }

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
