// SGD with momentum, RMSprop and Adam with PyTorch's update rules (g includes weight decay).

import CVector
import Foundation

/// buf = μ·buf + g (buf = g at the first step); w −= lr·buf.  Plain SGD when μ = 0.
public final class SGD: Optimizer {
  public let momentum: Float

  public init(groups: [ParameterGroup], momentum: Float = 0) {
    self.momentum = momentum
    super.init(groups: groups, stateNames: ["momentum_buffer"])
  }

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, state: [UnsafeMutablePointer<Float>],
                              segments: Segments, step: Int, learningRate lr: Float, bf16: UnsafeMutablePointer<UInt16>?) {
    for r in segments.ranges {
      guard momentum != 0 else { for i in r { w[i] -= lr * g[i] }; continue }
      let buf = state[0]
      for i in r {
        buf[i] = step == 1 ? g[i] : momentum * buf[i] + g[i]
        w[i] -= lr * buf[i]
      }
    }
  }
}

/// v = α·v + (1 − α)·g²; w −= lr·g/(√v + ε).  Defaults α = 0.99, ε = 1e-8 as torch.optim.RMSprop.
public final class RMSprop: Optimizer {
  public let alpha: Float, epsilon: Float

  public init(groups: [ParameterGroup], alpha: Float = 0.99, epsilon: Float = 1e-8) {
    self.alpha = alpha
    self.epsilon = epsilon
    super.init(groups: groups, stateNames: ["square_avg"])
  }

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, state: [UnsafeMutablePointer<Float>],
                              segments s: Segments, step: Int, learningRate lr: Float, bf16: UnsafeMutablePointer<UInt16>?) {
    cmh_rmsprop_update(w + s.start, g + s.start, state[0] + s.start, s.length, s.stride, s.count, alpha, lr, epsilon, bf16)
  }

  public override var writesBF16: Bool { true }
}

/// m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²; w −= lr·(m/(1 − β₁ᵗ))/(√(v/(1 − β₂ᵗ)) + ε).
public final class Adam: Optimizer {
  public let beta1: Float, beta2: Float, epsilon: Float

  public init(groups: [ParameterGroup], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    super.init(groups: groups, stateNames: ["exp_avg", "exp_avg_sq"])
  }

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, state: [UnsafeMutablePointer<Float>],
                              segments s: Segments, step: Int, learningRate lr: Float, bf16: UnsafeMutablePointer<UInt16>?) {
    let c1 = 1 - powf(beta1, Float(step)), c2 = (1 - powf(beta2, Float(step))).squareRoot()
    cmh_adam_update(w + s.start, g + s.start, state[0] + s.start, state[1] + s.start, s.length, s.stride, s.count, beta1, beta2, lr / c1, c2,
                    epsilon, bf16)
  }

  public override var writesBF16: Bool { true }
}
