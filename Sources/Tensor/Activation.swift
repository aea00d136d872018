// Activations: ReLU, Tanh and SiLU, elementwise; ReLU's and Tanh's backward use the output their
// forward kept, SiLU's the input.

import Foundation
import Platform

public final class ReLU: Module {
  public var isTraining = true
  private var output: Tensor?
  public init() {}

  /// y = max(0, x)
  public func forward(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitialized: x.shape), src = x.data, dst = y.data
    Elementwise.apply(x.count) { range in for i in range { dst[i] = src[i] > 0 ? src[i] : 0 } }
    output = y
    return y
  }

  /// y = max(0, a + b): a residual block's sum and the ReLU after it in one pass.
  public func forward(sumOf a: Tensor, _ b: Tensor) -> Tensor {
    let y = Self.sum(a, b, relu: true)
    output = y
    return y
  }

  /// a + b, floored at 0 with `relu`.
  static func sum(_ a: Tensor, _ b: Tensor, relu: Bool) -> Tensor {
    precondition(a.shape == b.shape, "Residual: the body gives \(a.shape) but the shortcut gives \(b.shape)")
    let y = Tensor(uninitialized: a.shape), pa = a.data, pb = b.data, out = y.data
    if relu {
      Elementwise.apply(y.count) { range in for i in range { let v = pa[i] + pb[i]; out[i] = v > 0 ? v : 0 } }
    } else {
      Elementwise.apply(y.count) { range in for i in range { out[i] = pa[i] + pb[i] } }
    }
    return y
  }

  /// dx = dy where y > 0, else 0
  public func backward(_ dy: Tensor) -> Tensor {
    guard let y = output else { preconditionFailure("ReLU.backward called before forward") }
    precondition(dy.shape == y.shape, "ReLU.backward: gradient \(dy.shape), expected \(y.shape)")
    let dx = Tensor(uninitialized: y.shape), yp = y.data, g = dy.data, d = dx.data
    Elementwise.apply(y.count) { range in for i in range { d[i] = g[i] * (yp[i] > 0 ? 1 : 0) } }
    return dx
  }
}

public final class Tanh: Module {
  public var isTraining = true
  private var output: Tensor?
  public init() {}

  /// y = tanh(x)
  public func forward(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitialized: x.shape), src = x.data, dst = y.data
    Elementwise.apply(x.count) { range in for i in range { dst[i] = tanhf(src[i]) } }
    output = y
    return y
  }

  /// dx = dy·(1 − y²)
  public func backward(_ dy: Tensor) -> Tensor {
    guard let y = output else { preconditionFailure("Tanh.backward called before forward") }
    precondition(dy.shape == y.shape, "Tanh.backward: gradient \(dy.shape), expected \(y.shape)")
    let dx = Tensor(uninitialized: y.shape), yp = y.data, g = dy.data, d = dx.data
    Elementwise.apply(y.count) { range in for i in range { d[i] = g[i] * (1 - yp[i] * yp[i]) } }
    return dx
  }
}

/// SiLU (swish), the diffusion denoiser's activation: smooth, so its noise predictions are too.
public final class SiLU: Module {
  public var isTraining = true
  private var input: Tensor?
  public init() {}

  /// y = x·σ(x)
  public func forward(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitialized: x.shape), src = x.data, dst = y.data
    Elementwise.apply(x.count) { range in for i in range { dst[i] = src[i] / (1 + expf(-src[i])) } }
    input = x
    return y
  }

  /// dx = dy·σ(x)·(1 + x·(1 − σ(x)))
  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("SiLU.backward called before forward") }
    precondition(dy.shape == x.shape, "SiLU.backward: gradient \(dy.shape), expected \(x.shape)")
    let dx = Tensor(uninitialized: x.shape), xp = x.data, g = dy.data, d = dx.data
    Elementwise.apply(x.count) { range in
      for i in range {
        let s = 1 / (1 + expf(-xp[i]))
        d[i] = g[i] * s * (1 + xp[i] * (1 - s))
      }
    }
    return dx
  }
}

/// Splits elementwise loops into a few large blocks for the threads (small tensors stay on one).
enum Elementwise {
  static func apply(_ count: Int, _ body: (Range<Int>) -> Void) {
    let blocks = count < 65_536 ? 1 : Threads.count * 4
    Threads.parallelFor(blocks) { b in body((count * b / blocks)..<(count * (b + 1) / blocks)) }
  }
}
