// Pooling: MaxPool2d (with padding), AvgPool2d (padding counted, as PyTorch's default) and
// global average pooling. Shapes: input [N, C, H, W], output [N, C, Ho, Wo] ([N, C] for global).

import Platform

public final class MaxPool2d: Module {
  public let kernelSize: Int, stride: Int, padding: Int
  public var isTraining = true
  private var inputShape = [Int]()
  private var argmax = [Int32]()
  /// The input's shape and oneDNN's workspace when the forward pass ran in its layout (BF16MaxPool.swift).
  var blockedRun: (shape: [Int], workspace: Tensor)?

  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    precondition(padding * 2 <= kernelSize, "MaxPool2d: padding \(padding) must be at most half the kernel \(kernelSize)")
    self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
  }

  private func geometry(_ dims: [Int]) -> ConvGeometry {
    precondition(dims.count == 4, "MaxPool2d: input \(dims), expected [N, C, H, W]")
    return ConvGeometry(channels: 1, height: dims[2], width: dims[3], kernelHeight: kernelSize,
                        kernelWidth: kernelSize, stride: stride, padding: padding)
  }

  /// The output's shape for an input of `dims`.
  func outputShape(_ dims: [Int]) -> [Int] {
    let g = geometry(dims)
    return [dims[0], dims[1], g.outputHeight, g.outputWidth]
  }

  /// y = the largest value of each window (padding never wins; ties go to the first in scan
  /// order); its position is kept for backward.
  public func forward(_ x: Tensor) -> Tensor {
    let g = geometry(x.shape), planes = x.shape[0] * x.shape[1], plane = g.height * g.width, out = g.outputPlane
    (inputShape, blockedRun) = (x.shape, nil)
    let y = Tensor(uninitialized: outputShape(x.shape))
    // The positions' array is reused while the shape stays: a fresh one each step (25 MB for
    // ResNet-34's stem at 224², batch 32) came from the kernel as new pages, faulted and cleared.
    if argmax.count != planes * out { argmax = [Int32](unsafeUninitializedCapacity: planes * out) { _, n in n = planes * out } }
    argmax.withUnsafeMutableBufferPointer { idx in
      Threads.parallelFor(planes) { j in
        let src = x.data + j * plane, dst = y.data + j * out, at = idx.baseAddress! + j * out
        for oh in 0..<g.outputHeight {
          let top = oh * stride - padding, rows = max(0, top)..<min(g.height, top + kernelSize)
          for ow in 0..<g.outputWidth {
            let left = ow * stride - padding, columns = max(0, left)..<min(g.width, left + kernelSize)
            var position = rows.lowerBound * g.width + columns.lowerBound, best = src[position]
            for ih in rows {
              for iw in columns where src[ih * g.width + iw] > best {
                best = src[ih * g.width + iw]
                position = ih * g.width + iw
              }
            }
            dst[oh * g.outputWidth + ow] = best
            at[oh * g.outputWidth + ow] = Int32(position)
          }
        }
      }
    }
    return y
  }

  /// dx[argmax] += dy
  public func backward(_ dy: Tensor) -> Tensor {
    precondition(!inputShape.isEmpty, "MaxPool2d.backward called before forward")
    let dx = Tensor(zeros: inputShape), plane = inputShape[2] * inputShape[3]
    let planes = inputShape[0] * inputShape[1], out = dy.count / max(planes, 1)
    precondition(out * planes == argmax.count, "MaxPool2d.backward: gradient \(dy.shape) does not match the forward output")
    argmax.withUnsafeBufferPointer { idx in
      Threads.parallelFor(planes) { j in
        let d = dx.data + j * plane, g = dy.data + j * out
        for o in 0..<out { d[Int(idx[j * out + o])] += g[o] }
      }
    }
    return dx
  }
}

public final class AvgPool2d: Module {
  public let kernelSize: Int, stride: Int, padding: Int
  public var isTraining = true
  private var inputShape = [Int]()

  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize; self.stride = stride ?? kernelSize; self.padding = padding
  }

  private func geometry(_ shape: [Int]) -> ConvGeometry {
    precondition(shape.count == 4, "AvgPool2d: input \(shape), expected [N, C, H, W]")
    return ConvGeometry(channels: 1, height: shape[2], width: shape[3], kernelHeight: kernelSize,
                        kernelWidth: kernelSize, stride: stride, padding: padding)
  }

  /// y = (sum of the window, padding as zeros) / k²
  public func forward(_ x: Tensor) -> Tensor {
    let g = geometry(x.shape), planes = x.shape[0] * x.shape[1], plane = g.height * g.width
    inputShape = x.shape
    let y = Tensor(zeros: [x.shape[0], x.shape[1], g.outputHeight, g.outputWidth])
    let scale = 1 / Float(kernelSize * kernelSize)
    Threads.parallelFor(planes) { j in
      let src = x.data + j * plane, dst = y.data + j * g.outputPlane
      self.visitWindows(g) { o, i in dst[o] += src[i] * scale }
    }
    return y
  }

  /// dx[window] += dy / k²
  public func backward(_ dy: Tensor) -> Tensor {
    precondition(!inputShape.isEmpty, "AvgPool2d.backward called before forward")
    let g = geometry(inputShape), planes = inputShape[0] * inputShape[1], plane = g.height * g.width
    precondition(dy.count == planes * g.outputPlane, "AvgPool2d.backward: gradient \(dy.shape) does not match the forward output")
    let dx = Tensor(zeros: inputShape), scale = 1 / Float(kernelSize * kernelSize)
    Threads.parallelFor(planes) { j in
      let d = dx.data + j * plane, src = dy.data + j * g.outputPlane
      self.visitWindows(g) { o, i in d[i] += src[o] * scale }
    }
    return dx
  }

  /// Calls body(output index, input index) for every in-image position of every window.
  private func visitWindows(_ g: ConvGeometry, _ body: (Int, Int) -> Void) {
    for oh in 0..<g.outputHeight {
      for ow in 0..<g.outputWidth {
        for ki in 0..<kernelSize {
          let ih = oh * stride - padding + ki
          guard ih >= 0 && ih < g.height else { continue }
          for kj in 0..<kernelSize {
            let iw = ow * stride - padding + kj
            if iw >= 0 && iw < g.width { body(oh * g.outputWidth + ow, ih * g.width + iw) }
          }
        }
      }
    }
  }
}

public final class GlobalAvgPool: Module {
  public var isTraining = true
  private var inputShape = [Int]()
  public init() {}

  /// [N, C, H, W] → [N, C]: the mean of each plane.
  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "GlobalAvgPool: input \(x.shape), expected [N, C, H, W]")
    inputShape = x.shape
    let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
    let y = Tensor(uninitialized: [x.shape[0], x.shape[1]])
    Threads.parallelFor(planes) { j in
      let p = x.data + j * plane
      var s: Float = 0
      for q in 0..<plane { s += p[q] }
      y.data[j] = s / Float(plane)
    }
    return y
  }

  /// dx = dy / (H·W), spread over each plane.
  public func backward(_ dy: Tensor) -> Tensor {
    precondition(!inputShape.isEmpty, "GlobalAvgPool.backward called before forward")
    let planes = inputShape[0] * inputShape[1], plane = inputShape[2] * inputShape[3]
    precondition(dy.count == planes, "GlobalAvgPool.backward: gradient \(dy.shape), expected \([inputShape[0], inputShape[1]])")
    let dx = Tensor(uninitialized: inputShape)
    Threads.parallelFor(planes) { j in
      (dx.data + j * plane).update(repeating: dy.data[j] / Float(plane), count: plane)
    }
    return dx
  }
}
