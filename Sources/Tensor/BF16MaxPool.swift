// A max pool in bf16 training on activations in oneDNN's layout (ResNet's stem: between its
// BatchNorm · ReLU and the first residual block), so that the stream enters that layout at the
// stem: oneDNN's pooling notes where each maximum was (its workspace) and routes the gradient back
// there. The values are those of the float32 pool of the BatchNorm's output rounded to bf16
// (rounding keeps the order); the gradient that leaves it is bf16.

import CDNNL
import Platform

extension MaxPool2d: ExchangesActivations {
  func poolShape(_ dims: [Int]) -> cmh_pool_shape {
    cmh_pool_shape(n: Int32(dims[0]), c: Int32(dims[1]), h: Int32(dims[2]), w: Int32(dims[3]),
                   k: Int32(kernelSize), stride: Int32(stride), padding: Int32(padding))
  }

  /// In bf16 training, for channels in blocks of 16, where oneDNN pools that shape.
  func takesBlockedInput(_ dims: [Int]) -> Bool {
    guard isTraining && BF16Activation.isEnabled && Precision.current == .bf16 && dims.count == 4 && dims[1] % 16 == 0 else { return false }
    var s = poolShape(dims)
    return cmh_dnnl_maxpool_workspace_bytes(&s) > 0
  }

  func forward(exchange x: Exchange, blockedOut: Bool) -> Exchange {
    guard let input = x.blocked, takesBlockedInput(input.shape), let y = BF16Activation(outputShape(input.shape)) else {
      return .plain(forward(x.tensor))
    }
    var s = poolShape(input.shape)
    let workspace = Tensor(uninitialized: [(cmh_dnnl_maxpool_workspace_bytes(&s) + 3) / 4])
    guard cmh_dnnl_maxpool_forward(&s, input.pointer, y.pointer, workspace.data) == 0 else {
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return .plain(forward(x.tensor))
    }
    blockedRun = (input.shape, workspace)
    return blockedOut ? .blocked(y) : .plain(y.floats())
  }

  func backward(exchange dy: Exchange) -> Exchange {
    guard let (shape, workspace) = blockedRun else { return .plain(backward(dy.tensor)) }
    blockedRun = nil
    var s = poolShape(shape)
    guard let g = dy.inLayout, let dx = BF16Activation(shape), cmh_dnnl_maxpool_backward(&s, g.pointer, workspace.data, dx.pointer) == 0 else {
      preconditionFailure("MaxPool2d: oneDNN's backward pass of \(shape) failed: \(String(cString: cmh_dnnl_error()))")
    }
    return .blocked(dx)
  }
}
