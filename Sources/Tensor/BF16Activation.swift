// A bf16 activation in oneDNN's layout (blocks of 16 channels contiguous at each position; plain
// NCHW for an image's few channels), handed between layers that all run in oneDNN or read that
// layout: inference runs (BF16Inference.swift) and a convolution with the BatchNorm after it in
// training (BF16ConvolutionBatchNorm.swift).

import CDNNL

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

  func tensor() -> Tensor? {
    let y = Tensor(uninitialized: shape), (n, c, h, w) = dims
    return cmh_dnnl_from_activation(n, c, h, w, pointer, y.data) == 0 ? y : nil
  }
}

/// What one layer hands the next in training, either way: float32 NCHW, or a bf16 activation in
/// oneDNN's layout (between a convolution and the BatchNorm after it, and from a BatchNorm · ReLU
/// to the convolution after it).
enum Exchange {
  case plain(Tensor)
  case blocked(BF16Activation)

  /// As float32 NCHW.
  var tensor: Tensor {
    switch self {
    case let .plain(t): t
    case let .blocked(a): a.floats()
    }
  }
}
