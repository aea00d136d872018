// Channels: operations on the channel axis of [N, C, H, W] tensors that a U-Net needs between its
// layers — joining a skip connection to the way up and splitting its gradient back, and adding a
// per-item, per-channel vector (a timestep embedding) to every pixel, with that term's gradient.

import Foundation
import Platform

extension Tensor {
  /// [N, Ca + Cb, H, W]: each item's channels of `a`, then those of `b`.
  public static func joiningChannels(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank == 4 && b.rank == 4 && a.shape[0] == b.shape[0] && a.shape[2...] == b.shape[2...],
                 "joiningChannels: \(a.shape) and \(b.shape)")
    let n = a.shape[0], sa = a.count / n, sb = b.count / n
    let y = Tensor(uninitialized: [n, a.shape[1] + b.shape[1], a.shape[2], a.shape[3]])
    for i in 0..<n {
      (y.data + i * (sa + sb)).update(from: a.data + i * sa, count: sa)
      (y.data + i * (sa + sb) + sa).update(from: b.data + i * sb, count: sb)
    }
    return y
  }

  /// The first `channels` channels of each item and the rest: the inverse of `joiningChannels`.
  public func splittingChannels(at channels: Int) -> (Tensor, Tensor) {
    precondition(rank == 4 && channels > 0 && channels < shape[1], "splittingChannels(at: \(channels)) of \(shape)")
    let n = shape[0], plane = shape[2] * shape[3], sa = channels * plane, s = count / n
    let a = Tensor(uninitialized: [n, channels, shape[2], shape[3]]), b = Tensor(uninitialized: [n, shape[1] - channels, shape[2], shape[3]])
    for i in 0..<n {
      (a.data + i * sa).update(from: data + i * s, count: sa)
      (b.data + i * (s - sa)).update(from: data + i * s + sa, count: s - sa)
    }
    return (a, b)
  }

  /// Adds `vector` [N, C] to every pixel of each item's channels, in place.
  public func addPerChannel(_ vector: Tensor) {
    precondition(rank == 4 && vector.shape == [shape[0], shape[1]], "addPerChannel: \(vector.shape) to \(shape)")
    let plane = shape[2] * shape[3], p = data, v = vector.data
    Threads.parallelFor(shape[0] * shape[1]) { j in for q in 0..<plane { p[j * plane + q] += v[j] } }
  }

  /// Σ over each item's channel's pixels: [N, C] (the gradient of the vector `addPerChannel` added).
  public func channelSums() -> Tensor {
    precondition(rank == 4, "channelSums of \(shape)")
    let plane = shape[2] * shape[3], y = Tensor(zeros: [shape[0], shape[1]]), p = data, s = y.data
    Threads.parallelFor(shape[0] * shape[1]) { j in
      var sum: Float = 0
      for q in 0..<plane { sum += p[j * plane + q] }
      s[j] = sum
    }
    return y
  }
}
