// BatchNorm: batch normalisation over [N, C] or [N, C, H, W] with PyTorch's running statistics.
// Training: y = (x − μ_B)/√(σ²_B + ε)·γ + β, running = (1 − momentum)·running + momentum·batch
// (unbiased variance for the running value). Evaluation uses the running statistics.

import Foundation
import Platform

public final class BatchNorm: Module {
  public let weight: Parameter, bias: Parameter
  public let runningMean: Buffer, runningVar: Buffer, batchesTracked: Buffer
  public let channels: Int
  public let epsilon: Float, momentum: Float
  public var isTraining = true
  private var input: Tensor?
  private var mean = [Float](), inverseStd = [Float]()

  public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
    self.channels = channels
    self.epsilon = epsilon
    self.momentum = momentum
    weight = Parameter(Tensor(repeating: 1, shape: [channels]))
    bias = Parameter(Tensor(zeros: [channels]))
    runningMean = Buffer(Tensor(zeros: [channels]))
    runningVar = Buffer(Tensor(repeating: 1, shape: [channels]))
    batchesTracked = Buffer(Tensor(zeros: [1]))
  }

  public var ownParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
  public var ownBuffers: [(String, Buffer)] {
    [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", batchesTracked)]
  }

  /// (batch, plane) of an input, checked against the channel count.
  private func layout(_ x: Tensor) -> (n: Int, plane: Int) {
    precondition((x.rank == 2 || x.rank == 4) && x.shape[1] == channels,
                 "BatchNorm(\(channels)): input \(x.shape), expected [N, \(channels)] or [N, \(channels), H, W]")
    return (x.shape[0], x.rank == 4 ? x.shape[2] * x.shape[3] : 1)
  }

  // MARK: Forward

  public func forward(_ x: Tensor) -> Tensor {
    let (n, plane) = layout(x)
    input = x
    if isTraining { computeBatchStatistics(x, n: n, plane: plane) } else { useRunningStatistics() }
    let y = Tensor(uninitialized: x.shape)
    let c = channels, xp = x.data, yp = y.data, g = weight.value.data, b = bias.value.data
    mean.withUnsafeBufferPointer { mu in
      inverseStd.withUnsafeBufferPointer { inv in
        Threads.parallelFor(n * c) { j in
          let ch = j % c, scale = g[ch] * inv[ch], shift = b[ch] - mu[ch] * scale
          let src = xp + j * plane, dst = yp + j * plane
          for q in 0..<plane { dst[q] = src[q] * scale + shift }
        }
      }
    }
    return y
  }

  private func computeBatchStatistics(_ x: Tensor, n: Int, plane: Int) {
    precondition(n * plane > 1, "BatchNorm(\(channels)): training needs more than one value per channel, got input \(x.shape)")
    let c = channels, count = Double(n * plane), xp = x.data
    var means = [Float](repeating: 0, count: c), variances = [Float](repeating: 0, count: c)
    means.withUnsafeMutableBufferPointer { mp in
      variances.withUnsafeMutableBufferPointer { vp in
        Threads.parallelFor(c) { ch in
          // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
          var sum = 0.0, squares = 0.0
          for i in 0..<n {
            let p = xp + (i * c + ch) * plane
            sum += Double(Reductions.sum(p, plane))
          }
          let mu = Float(sum / count)
          for i in 0..<n {
            let p = xp + (i * c + ch) * plane
            squares += Double(Reductions.squaredDeviations(p, plane, mean: mu))
          }
          mp[ch] = mu
          vp[ch] = Float(squares / count)
        }
      }
    }
    mean = means
    inverseStd = variances.map { 1 / ($0 + epsilon).squareRoot() }
    let rm = runningMean.value.data, rv = runningVar.value.data, unbias = Float(count / (count - 1))
    for ch in 0..<c {
      rm[ch] = (1 - momentum) * rm[ch] + momentum * means[ch]
      rv[ch] = (1 - momentum) * rv[ch] + momentum * variances[ch] * unbias
    }
    batchesTracked.value.data[0] += 1
  }

  /// Evaluation mode as a per-channel map (scale = γ/√(var + ε), shift = β − mean·scale), for a
  /// convolution to apply as it writes its outputs; with `relu`, a following ReLU too.
  public func runningAffine(relu: Bool) -> ChannelAffine {
    let g = weight.value.scalars, b = bias.value.scalars, mu = runningMean.value.scalars, v = runningVar.value.scalars
    let scale = (0..<channels).map { g[$0] / (v[$0] + epsilon).squareRoot() }
    return ChannelAffine(scale: scale, shift: (0..<channels).map { b[$0] - mu[$0] * scale[$0] }, relu: relu)
  }

  private func useRunningStatistics() {
    mean = runningMean.value.scalars
    inverseStd = runningVar.value.scalars.map { 1 / ($0 + epsilon).squareRoot() }
  }

  // MARK: Backward

  public func backward(_ dy: Tensor) -> Tensor {
    guard let x = input else { preconditionFailure("BatchNorm.backward called before forward") }
    precondition(dy.shape == x.shape, "BatchNorm.backward: gradient \(dy.shape), expected \(x.shape)")
    let (n, plane) = layout(x)
    let c = channels, count = Float(n * plane), training = isTraining
    let dx = Tensor(uninitialized: x.shape)
    let xp = x.data, dyp = dy.data, dxp = dx.data, g = weight.value.data
    let dg = weight.grad.data, db = bias.grad.data
    mean.withUnsafeBufferPointer { mu in
      inverseStd.withUnsafeBufferPointer { inv in
        Threads.parallelFor(c) { ch in
          var sumDy = 0.0, sumDyXhat = 0.0
          for i in 0..<n {
            let off = (i * c + ch) * plane
            sumDy += Double(Reductions.sum(dyp + off, plane))
            sumDyXhat += Double(Reductions.dot(dyp + off, xp + off, plane, shift: mu[ch]))
          }
          sumDyXhat *= Double(inv[ch])
          dg[ch] += Float(sumDyXhat); db[ch] += Float(sumDy)
          let k = g[ch] * inv[ch]
          let meanDy = training ? Float(sumDy) / count : 0, meanDyXhat = training ? Float(sumDyXhat) / count : 0
          // dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)·inv: one multiply-add per element.
          let a = k * meanDyXhat * inv[ch], b = a * mu[ch] - k * meanDy
          for i in 0..<n {
            let off = (i * c + ch) * plane
            for q in 0..<plane { dxp[off + q] = k * dyp[off + q] - a * xp[off + q] + b }
          }
        }
      }
    }
    return dx
  }
}
