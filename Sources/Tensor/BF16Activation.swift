// A bf16 activation in oneDNN's layout (blocks of 16 channels contiguous at each position; plain
// NCHW for an image's few channels), handed between layers that all run in oneDNN or read that
// layout: inference runs (BF16Inference.swift) and a convolution with the BatchNorm after it in
// training (BF16ConvolutionBatchNorm.swift).

import CBlockedLayout
import CDNNL
import Platform

/// A bf16 activation [n, c, h, w] in oneDNN's layout, in pooled storage.
struct BF16Activation {
  /// Off: layers hand each other float32 NCHW only (for comparison in tests).
  nonisolated(unsafe) static var isEnabled = true
  let shape: [Int]
  let storage: Tensor

  init?(_ shape: [Int]) {
    let bytes = cmh_dnnl_activation_bytes(Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3]))
    guard bytes > 0 else { return nil }
    self.shape = shape
    storage = Tensor(uninitialized: [(bytes + 3) / 4])
  }

  /// An activation of `shape` already in `storage`.
  init(shape: [Int], storage: Tensor) {
    self.shape = shape
    self.storage = storage
  }

  var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(storage.data) }
  private var dims: (Int32, Int32, Int32, Int32) { (Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3])) }

  static func from(_ x: Tensor) -> BF16Activation? {
    guard let a = BF16Activation(x.shape) else { return nil }
    let (n, c, h, w) = a.dims
    return cmh_dnnl_to_activation(n, c, h, w, x.data, a.pointer) == 0 ? a : nil
  }

  private var plane: Int { shape[2] * shape[3] }
  private var blocks: Int { shape[1] / 16 }

  /// Item i's block b of 16 channels: `plane` positions of 16 bf16 values.
  func tile(_ i: Int, _ b: Int) -> UnsafeMutablePointer<UInt16> {
    pointer.assumingMemoryBound(to: UInt16.self) + (i * blocks + b) * plane * 16
  }

  /// The activation (channels in blocks of 16) as float32 NCHW.
  func floats() -> Tensor {
    precondition(shape[1] % 16 == 0, "BF16Activation.floats: \(shape[1]) channels, expected blocks of 16")
    let y = Tensor(uninitialized: shape), (c, blocks, plane) = (shape[1], blocks, plane)
    let ones = [Float](repeating: 1, count: 16), zeros = [Float](repeating: 0, count: 16)
    Threads.parallelFor(shape[0] * blocks) { j in
      let (i, b) = (j / blocks, j % blocks)
      cmh_blocked_normalize(tile(i, b), plane, ones, zeros, 0, y.data + (i * c + b * 16) * plane, nil)
    }
    return y
  }
}

/// What one layer hands the next in training, either way: float32 NCHW, or a bf16 activation in
/// oneDNN's layout (between a convolution and the BatchNorm after it, and from a BatchNorm · ReLU
/// to the convolution after it).
enum Exchange {
  case plain(Tensor)
  case blocked(BF16Activation)

  /// As float32 NCHW.
  var tensor: Tensor { plain ?? blocked!.floats() }
  var plain: Tensor? { if case let .plain(t) = self { t } else { nil } }
  var blocked: BF16Activation? { if case let .blocked(a) = self { a } else { nil } }
  var shape: [Int] { plain?.shape ?? blocked!.shape }
}
