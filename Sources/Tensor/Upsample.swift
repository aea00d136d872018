// Upsample: nearest-neighbour doubling of [N, C, H, W] to [N, C, 2H, 2W] (the diffusion U-Net's way
// up); its backward sums each 2×2 block of the gradient into the pixel it was copied from.

import Foundation
import Platform

public final class Upsample: Module {
  public var isTraining = true
  public init() {}

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "Upsample: input \(x.shape), expected [N, C, H, W]")
    let (h, w) = (x.shape[2], x.shape[3])
    let y = Tensor(uninitialized: [x.shape[0], x.shape[1], 2 * h, 2 * w]), src = x.data, dst = y.data
    Threads.parallelFor(x.shape[0] * x.shape[1]) { j in
      let from = src + j * h * w, to = dst + j * 4 * h * w
      for r in 0..<(2 * h) { for c in 0..<(2 * w) { to[r * 2 * w + c] = from[(r / 2) * w + c / 2] } }
    }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    precondition(dy.rank == 4 && dy.shape[2] % 2 == 0 && dy.shape[3] % 2 == 0, "Upsample.backward: gradient \(dy.shape)")
    let (h, w) = (dy.shape[2] / 2, dy.shape[3] / 2)
    let dx = Tensor(uninitialized: [dy.shape[0], dy.shape[1], h, w]), src = dy.data, dst = dx.data
    Threads.parallelFor(dy.shape[0] * dy.shape[1]) { j in
      let from = src + j * 4 * h * w, to = dst + j * h * w
      for r in 0..<h {
        for c in 0..<w {
          let a = from + 2 * r * 2 * w + 2 * c
          to[r * w + c] = a[0] + a[1] + a[2 * w] + a[2 * w + 1]
        }
      }
    }
    return dx
  }
}
