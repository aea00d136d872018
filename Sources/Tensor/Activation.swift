// Activations: ReLU and Tanh, elementwise; each backward uses the output its forward kept.

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

/// Splits elementwise loops into a few large blocks for the threads (small tensors stay on one).
enum Elementwise {
  static func apply(_ count: Int, _ body: (Range<Int>) -> Void) {
    let blocks = count < 65_536 ? 1 : Threads.count * 4
    Threads.parallelFor(blocks) { b in body((count * b / blocks)..<(count * (b + 1) / blocks)) }
  }
}
