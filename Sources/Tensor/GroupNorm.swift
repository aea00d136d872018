// GroupNorm: normalisation over groups of channels of each item [N, C, H, W] (Wu & He), the same in
// training and evaluation — a diffusion denoiser sees items of every noise level in one batch,
// where batch statistics would mix them. For item n and group g of C/G channels:
//   y = (x − μ_ng)/√(σ²_ng + ε)·γ_c + β_c
// Backward, with x̂ the normalised input and m the values of a group:
//   dx = (γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) / √(σ² + ε),  dγ = Σ dy·x̂,  dβ = Σ dy.

import Foundation
import Platform

public final class GroupNorm: Module {
  public let weight: Parameter, bias: Parameter
  public let channels: Int, groups: Int
  public let epsilon: Float
  public var isTraining = true
  private var normalised: Tensor?
  private var inverseStd = [Float]()

  public init(groups: Int, channels: Int, epsilon: Float = 1e-5) {
    precondition(groups >= 1 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
    (self.groups, self.channels, self.epsilon) = (groups, channels, epsilon)
    weight = Parameter(Tensor(repeating: 1, shape: [channels]))
    bias = Parameter(Tensor(zeros: [channels]))
  }

  public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

  /// (items, values per group, values per channel) of an input, checked against the channels.
  private func layout(_ x: Tensor) -> (n: Int, group: Int, plane: Int) {
    precondition(x.rank == 4 && x.shape[1] == channels, "GroupNorm(\(channels)): input \(x.shape), expected [N, \(channels), H, W]")
    let plane = x.shape[2] * x.shape[3]
    return (x.shape[0], plane * channels / groups, plane)
  }

  public func forward(_ x: Tensor) -> Tensor {
    let (n, size, plane) = layout(x)
    let xhat = Tensor(uninitialized: x.shape), y = Tensor(uninitialized: x.shape)
    var inv = [Float](repeating: 0, count: n * groups)
    let per = channels / groups, xp = x.data, hp = xhat.data, yp = y.data, g = weight.value.data, b = bias.value.data
    inv.withUnsafeMutableBufferPointer { inv in
      Threads.parallelFor(n * groups) { j in
        let src = xp + j * size, dst = hp + j * size
        var sum = 0.0, squares = 0.0
        for q in 0..<size { let v = Double(src[q]); sum += v; squares += v * v }
        let mean = sum / Double(size), variance = max(squares / Double(size) - mean * mean, 0)
        let s = Float(1 / (variance + Double(epsilon)).squareRoot())
        inv[j] = s
        for q in 0..<size { dst[q] = (src[q] - Float(mean)) * s }
        for k in 0..<per {
          let c = (j % groups) * per + k, at = k * plane
          for q in 0..<plane { yp[j * size + at + q] = dst[at + q] * g[c] + b[c] }
        }
      }
    }
    normalised = xhat
    inverseStd = inv
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    guard let xhat = normalised else { preconditionFailure("GroupNorm.backward called before forward") }
    precondition(dy.shape == xhat.shape, "GroupNorm.backward: gradient \(dy.shape), expected \(xhat.shape)")
    let (n, size, plane) = layout(xhat)
    let per = channels / groups, dx = Tensor(uninitialized: xhat.shape)
    let hp = xhat.data, gp = dy.data, dp = dx.data, w = weight.value.data
    // Per item and channel sums of dy·x̂ and dy, added into dγ and dβ after the parallel loop.
    var sums = [Double](repeating: 0, count: 2 * n * channels)
    sums.withUnsafeMutableBufferPointer { sums in
      inverseStd.withUnsafeBufferPointer { inv in
        Threads.parallelFor(n * groups) { j in
          var meanG = 0.0, meanGX = 0.0
          for k in 0..<per {
            let c = (j % groups) * per + k, at = j * size + k * plane
            var sx = 0.0, s = 0.0
            for q in 0..<plane {
              let d = Double(gp[at + q]), h = Double(hp[at + q])
              sx += d * h; s += d
            }
            sums[2 * ((j / groups) * channels + c)] = sx
            sums[2 * ((j / groups) * channels + c) + 1] = s
            meanG += Double(w[c]) * s
            meanGX += Double(w[c]) * sx
          }
          let mg = Float(meanG / Double(size)), mgx = Float(meanGX / Double(size))
          for k in 0..<per {
            let c = (j % groups) * per + k, at = j * size + k * plane
            for q in 0..<plane { dp[at + q] = (w[c] * gp[at + q] - mg - hp[at + q] * mgx) * inv[j] }
          }
        }
      }
    }
    let dw = weight.grad.data, db = bias.grad.data
    for item in 0..<n {
      for c in 0..<channels {
        dw[c] += Float(sums[2 * (item * channels + c)])
        db[c] += Float(sums[2 * (item * channels + c) + 1])
      }
    }
    return dx
  }
}
