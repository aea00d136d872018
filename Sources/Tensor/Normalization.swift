// BatchNorm: batch normalisation over [N, C] or [N, C, H, W] with PyTorch's running statistics.
// Training: y = (x − μ_B)/√(σ²_B + ε)·γ + β, running = (1 − momentum)·running + momentum·batch
// (unbiased variance for the running value). Evaluation uses the running statistics.
// `forward(x, relu: true)` applies a following ReLU as it writes y, and the backward pass then
// takes the ReLU's output gradient (Sequential runs BatchNorm · ReLU so: one pass less each way).
// With `sumAcrossRanks` (data-parallel training, each rank holding part of the batch) the
// per-channel sums of the forward and backward passes are summed over the ranks first, so the
// statistics are the whole batch's, as PyTorch's SyncBatchNorm takes them.

import Foundation
import Platform

public final class BatchNorm: Module {
  public let weight: Parameter, bias: Parameter
  public let runningMean: Buffer, runningVar: Buffer, batchesTracked: Buffer
  public let channels: Int
  public let epsilon: Float, momentum: Float
  public var isTraining = true
  private var input: Tensor?
  /// The input when a bf16 convolution handed it over in oneDNN's layout (BF16ConvolutionBatchNorm.swift).
  var blockedInput: BF16Activation?
  var mean = [Float](), inverseStd = [Float]()
  /// The last forward pass applied a ReLU to its output.
  var appliedReLU = false
  /// Sums per-channel values over the ranks of a data-parallel run (nil: this process's batch alone).
  public var sumAcrossRanks: ((inout [Double]) -> Void)?
  /// Values per channel in the whole batch (this rank's, or all ranks' with `sumAcrossRanks`).
  var count = 0.0

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

  public func forward(_ x: Tensor) -> Tensor { forward(x, relu: false) }

  /// y = BN(x), floored at 0 with `relu`.
  public func forward(_ x: Tensor, relu: Bool) -> Tensor {
    let (n, plane) = layout(x)
    input = x
    blockedInput = nil
    appliedReLU = relu
    if isTraining { computeBatchStatistics(x, n: n, plane: plane) } else { useRunningStatistics() }
    let y = Tensor(uninitialized: x.shape)
    let c = channels, xp = x.data, yp = y.data, affine = channelAffine()
    Threads.parallelFor(n * c) { j in
      let (scale, shift) = affine[j % c]
      let src = xp + j * plane, dst = yp + j * plane
      if relu {
        for q in 0..<plane { let v = src[q] * scale + shift; dst[q] = v > 0 ? v : 0 }
      } else {
        for q in 0..<plane { dst[q] = src[q] * scale + shift }
      }
    }
    return y
  }

  /// Per channel, y = x·scale + shift with the statistics in use.
  func channelAffine() -> [(scale: Float, shift: Float)] {
    let g = weight.value.data, b = bias.value.data
    return (0..<channels).map { ch in
      let scale = g[ch] * inverseStd[ch]
      return (scale, b[ch] - mean[ch] * scale)
    }
  }

  private func computeBatchStatistics(_ x: Tensor, n: Int, plane: Int) {
    computeBatchStatistics(
      shape: x.shape, values: n * plane,
      sums: { self.channelSums(x, n: n, plane: plane) { p, _ in Double(Reductions.sum(p, plane)) } },
      squaredDeviations: { means in
        self.channelSums(x, n: n, plane: plane) { p, ch in Double(Reductions.squaredDeviations(p, plane, mean: means[ch])) }
      })
  }

  /// The batch's (or all ranks' batches') mean and variance from per-channel sums of `values`
  /// values each, and the running statistics updated with them.
  func computeBatchStatistics(shape: [Int], values: Int, sums channelSums: () -> [Double],
                              squaredDeviations: ([Float]) -> [Double]) {
    // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
    var sums = channelSums() + [Double(values)]
    sumAcrossRanks?(&sums)
    count = sums.removeLast()
    precondition(count > 1, "BatchNorm(\(channels)): training needs more than one value per channel, got input \(shape)")
    let means = sums.map { Float($0 / count) }
    var squares = squaredDeviations(means)
    sumAcrossRanks?(&squares)
    let variances = squares.map { Float($0 / count) }
    mean = means
    inverseStd = variances.map { 1 / ($0 + epsilon).squareRoot() }
    let rm = runningMean.value.data, rv = runningVar.value.data, unbias = Float(count / (count - 1))
    for ch in 0..<channels {
      rm[ch] = (1 - momentum) * rm[ch] + momentum * means[ch]
      rv[ch] = (1 - momentum) * rv[ch] + momentum * variances[ch] * unbias
    }
    batchesTracked.value.data[0] += 1
  }

  /// Per channel, the sum over the batch of `plane(p, ch)` for each item's plane p of the channel.
  private func channelSums(_ x: Tensor, n: Int, plane: Int, _ value: (UnsafeMutablePointer<Float>, Int) -> Double) -> [Double] {
    let c = channels, xp = x.data
    var sums = [Double](repeating: 0, count: c)
    sums.withUnsafeMutableBufferPointer { sp in
      Threads.parallelFor(c) { ch in
        var sum = 0.0
        for i in 0..<n { sum += value(xp + (i * c + ch) * plane, ch) }
        sp[ch] = sum
      }
    }
    return sums
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
    let c = channels, training = isTraining
    let dx = Tensor(uninitialized: x.shape)
    let xp = x.data, dyp = dy.data, dxp = dx.data, g = weight.value.data
    let dg = weight.grad.data, db = bias.grad.data
    // After a ReLU, dy counts where y = x·scale + shift > 0 (as the forward pass computed it).
    let mask = appliedReLU ? channelAffine() : nil
    // Σdy and Σdy·x̂ per channel: this rank's go to dβ and dγ (the ranks' parameter gradients are
    // summed later); the whole batch's make dx.
    var sums = [Double](repeating: 0, count: 2 * c)
    mean.withUnsafeBufferPointer { mu in
      inverseStd.withUnsafeBufferPointer { inv in
        sums.withUnsafeMutableBufferPointer { sp in
          Threads.parallelFor(c) { ch in
            var sumDy = 0.0, sumDyXhat = 0.0
            for i in 0..<n {
              let off = (i * c + ch) * plane
              if let (scale, shift) = mask?[ch] {
                let (s, d) = Reductions.maskedSumAndDot(dyp + off, xp + off, plane, shift: mu[ch], scale: scale, offset: shift)
                sumDy += Double(s); sumDyXhat += Double(d)
              } else {
                sumDy += Double(Reductions.sum(dyp + off, plane))
                sumDyXhat += Double(Reductions.dot(dyp + off, xp + off, plane, shift: mu[ch]))
              }
            }
            sumDyXhat *= Double(inv[ch])
            dg[ch] += Float(sumDyXhat); db[ch] += Float(sumDy)
            sp[ch] = sumDy; sp[c + ch] = sumDyXhat
          }
        }
      }
    }
    if training { sumAcrossRanks?(&sums) }
    let total = Float(training ? count : Double(n * plane))
    mean.withUnsafeBufferPointer { mu in
      inverseStd.withUnsafeBufferPointer { inv in
        Threads.parallelFor(c) { ch in
          let k = g[ch] * inv[ch]
          let meanDy = training ? Float(sums[ch]) / total : 0, meanDyXhat = training ? Float(sums[c + ch]) / total : 0
          // dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)·inv: one multiply-add per element.
          let a = k * meanDyXhat * inv[ch], b = a * mu[ch] - k * meanDy
          for i in 0..<n {
            let off = (i * c + ch) * plane
            if let (scale, shift) = mask?[ch] {
              for q in 0..<plane {
                let x = xp[off + q], g = dyp[off + q], d = x * scale + shift > 0 ? g : 0
                dxp[off + q] = k * d - a * x + b
              }
            } else {
              for q in 0..<plane { dxp[off + q] = k * dyp[off + q] - a * xp[off + q] + b }
            }
          }
        }
      }
    }
    return dx
  }
}
