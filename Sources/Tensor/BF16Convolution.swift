// Conv2D in bfloat16: oneDNN's convolutions (CDNNL) for the forward and backward passes when
// Precision.current is bf16. Inputs and weights are rounded to bf16, products accumulate in
// float32, the outputs and the weight gradient come back as float32, so everything around the
// layer (BatchNorm, the optimiser, the losses) is unchanged. A oneDNN failure switches the run
// to float32 for good, with the reason in `cmh info`'s precision line.

import CDNNL
import Platform

extension Conv2D {
  func shape(_ x: Tensor) -> cmh_conv_shape { shape(x.shape) }

  func shape(_ dims: [Int]) -> cmh_conv_shape {
    cmh_conv_shape(n: Int32(dims[0]), c: Int32(inChannels), o: Int32(outChannels), h: Int32(dims[2]), w: Int32(dims[3]),
                   k: Int32(kernelSize), stride: Int32(stride), padding: Int32(padding))
  }

  /// oneDNN's bf16 kernels work on blocks of 16 channels: a layer whose channels are not whole
  /// blocks (an image's 3 input channels aside) pads them and ran slower than float32 (compact10
  /// at width 8: 3.5× slower training).
  var suitsBF16: Bool { outChannels % 16 == 0 && (inChannels % 16 == 0 || inChannels <= 4) }

  /// y = W ⋆ x in bf16, or nil when bf16 does not run (then the float32 path runs). When
  /// `keeping`, the bf16 copy of x stays for the backward pass, which saves reordering x again.
  func bf16Output(_ x: Tensor, _ g: ConvGeometry, keeping: Bool) -> Tensor? {
    keptInput = nil
    guard suitsBF16 && Precision.current == .bf16 else { return nil }
    let y = Tensor(uninitialized: [x.shape[0], outChannels, g.outputHeight, g.outputWidth])
    var s = shape(x)
    let bytes = keeping ? cmh_dnnl_conv_kept_bytes(&s) : 0
    let kept = bytes > 0 ? Tensor(uninitialized: [(bytes + 3) / 4]) : nil
    switch cmh_dnnl_conv_forward(&s, x.data, weight.value.data, y.data, kept?.data, nil) {
    case 0:
      keptInput = kept
      return y
    case 1: return nil  // only oneDNN's reference code for this shape: float32 is faster
    default:
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return nil
    }
  }

  /// dW += the weight gradient and, when wanted, the input gradient, in bf16; nil when bf16 does
  /// not run (nothing has been added then).
  func bf16Backward(_ x: Tensor, _ dy: Tensor) -> Tensor? {
    guard suitsBF16 && Precision.current == .bf16 else { return nil }
    let dx = computesInputGradient ? Tensor(uninitialized: x.shape) : Tensor(zeros: x.shape)
    var s = shape(x)
    defer { keptInput = nil }
    switch cmh_dnnl_conv_backward(&s, x.data, keptInput?.data, weight.value.data, dy.data, nil, computesInputGradient ? dx.data : nil, nil,
                                  weight.grad.data) {
    case 0: return dx
    case 1: return nil
    default:
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return nil
    }
  }
}
