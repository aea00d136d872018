// SGD with momentum, RMSprop and Adam with PyTorch's update rules (g includes weight decay).

import Foundation

/// buf = μ·buf + g (buf = g at the first step); w −= lr·buf.  Plain SGD when μ = 0.
public final class SGD: Optimizer {
  public let momentum: Float

  public init(groups: [ParameterGroup], momentum: Float = 0) {
    self.momentum = momentum
    super.init(groups: groups, stateNames: ["momentum_buffer"])
  }

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int,
                              state: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
    guard momentum != 0 else { for i in 0..<count { w[i] -= lr * g[i] }; return }
    let buf = state[0]
    for i in 0..<count {
      buf[i] = step == 1 ? g[i] : momentum * buf[i] + g[i]
      w[i] -= lr * buf[i]
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

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int,
                              state: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
    let v = state[0]
    // Sixteen lanes at a time: the compiler does not vectorise the scalar loop (the pointers may
    // alias), and square root and division then dominate a 4,096-wide MLP's step.
    let wide = count / 16 * 16
    let (a, b, rate, eps) = (SIMD16<Float>(repeating: alpha), SIMD16<Float>(repeating: 1 - alpha),
                             SIMD16<Float>(repeating: lr), SIMD16<Float>(repeating: epsilon))
    let wr = UnsafeMutableRawPointer(w), gr = UnsafeRawPointer(g), vr = UnsafeMutableRawPointer(v)
    for i in stride(from: 0, to: wide, by: 16) {
      let gi = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
      let vi = a * vr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) + b * gi * gi
      vr.storeBytes(of: vi, toByteOffset: i * 4, as: SIMD16<Float>.self)
      let wi = wr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - rate * gi / (vi.squareRoot() + eps)
      wr.storeBytes(of: wi, toByteOffset: i * 4, as: SIMD16<Float>.self)
    }
    for i in wide..<count {
      v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i]
      w[i] -= lr * g[i] / (v[i].squareRoot() + epsilon)
    }
  }
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

  public override func update(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int,
                              state: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
    let m = state[0], v = state[1]
    let c1 = 1 - powf(beta1, Float(step)), c2 = (1 - powf(beta2, Float(step))).squareRoot()
    let stepSize = lr / c1
    for i in 0..<count {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i]
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
      w[i] -= stepSize * m[i] / (v[i].squareRoot() / c2 + epsilon)
    }
  }
}
