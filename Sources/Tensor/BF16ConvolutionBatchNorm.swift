// A bf16 convolution and the training-mode BatchNorm after it hand each other the convolution's
// output and its gradient in oneDNN's layout (bf16, blocks of 16 channels): the BatchNorm reads
// the output where the convolution wrote it and writes the gradient where the convolution reads
// it, so neither goes through float32 NCHW and a reorder each way (a sixth of a ResNet-34
// training step at 224²). The values are those of the layer-by-layer bf16 path: there too the
// output was bf16 before the BatchNorm saw it, and the gradient was rounded to bf16 (to nearest,
// ties to even) before the convolution read it. Data-parallel runs sum the statistics over the
// ranks as ever. Sequential pairs the two layers (`forward`, `backward`).

import CBlockedLayout
import CDNNL
import Platform

extension Conv2D {
  /// y = W ⋆ x, left bf16 in oneDNN's layout for the BatchNorm after it, x given either way; nil
  /// where that does not run (then the layer-by-layer path runs).
  func blockedOutput(_ x: Exchange) -> BF16Activation? {
    guard exchangesBF16Activations else { return nil }
    let (dims, plain, blocked) = (x.shape, x.plain, x.blocked)
    precondition(dims.count == 4 && dims[1] == inChannels, "Conv2D(\(inChannels)→\(outChannels)): input \(dims), expected [N, \(inChannels), H, W]")
    var s = shape(dims)
    let flags = cmh_dnnl_conv_blocked(&s), out = outputShape(dims)
    guard flags & 1 != 0, blocked == nil || flags & 2 != 0, let y = BF16Activation(out) else { return nil }
    let bytes = blocked == nil ? cmh_dnnl_conv_kept_bytes(&s) : 0
    let kept = blocked?.storage ?? (bytes > 0 ? Tensor(uninitialized: [(bytes + 3) / 4]) : nil)
    switch cmh_dnnl_conv_forward(&s, plain?.data, weight.value.data, nil, kept?.data, y.pointer) {
    case 0:
      (input, keptInput, blockedInputShape) = (plain, kept, blocked?.shape)
      return y
    case 1: return nil
    default:
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return nil
    }
  }

  /// bf16 runs, and the layer (no bias, channels in blocks of 16) can exchange its data in oneDNN's layout.
  private var exchangesBF16Activations: Bool {
    BF16Activation.isEnabled && bias == nil && suitsBF16 && Precision.current == .bf16
  }

  /// Whether the layer's forward pass can take an input of `dims` in oneDNN's layout.
  func takesBlockedInput(_ dims: [Int]) -> Bool {
    guard exchangesBF16Activations && dims.count == 4 && dims[1] == inChannels else { return false }
    var s = shape(dims)
    return cmh_dnnl_conv_blocked(&s) == 3
  }

  /// The backward pass from an output gradient in oneDNN's layout; the input gradient comes in
  /// the layout the forward pass took its input in.
  func backward(blockedGradient dy: BF16Activation) -> Exchange {
    guard let dims = blockedInputShape ?? input?.shape else { preconditionFailure("Conv2D.backward called before forward") }
    var s = shape(dims)
    defer { (keptInput, blockedInputShape) = (nil, nil) }
    let wanted = computesInputGradient
    let dx = blockedInputShape == nil ? (wanted ? Tensor(uninitialized: dims) : Tensor(zeros: dims)) : nil
    let dxBlocked = blockedInputShape != nil && wanted ? BF16Activation(dims) : nil
    let status = cmh_dnnl_conv_backward(&s, input?.data, keptInput?.data, weight.value.data, nil, dy.pointer,
                                        wanted ? dx?.data : nil, dxBlocked?.pointer, weight.grad.data)
    if status == 0 {
      if let dxBlocked { return .blocked(dxBlocked) }
      return .plain(dx ?? Tensor(zeros: dims))
    }
    // oneDNN failed (it fails here only when it cannot allocate): float32 from now on.
    Precision.fallBack(status == 1 ? "oneDNN has only its reference code for \(dims)" : String(cString: cmh_dnnl_error()))
    if input == nil, let kept = keptInput { input = BF16Activation(shape: dims, storage: kept).floats() }
    return .plain(backward(dy.floats()))
  }
}

extension BatchNorm {
  /// Training-mode y = BN(x), floored at 0 with `relu`, of a convolution's bf16 output in
  /// oneDNN's layout; y is float32 NCHW, or bf16 in that layout (`keepingLayout`) for a
  /// convolution that reads it so.
  func forward(blocked x: BF16Activation, relu: Bool, keepingLayout: Bool = false) -> Exchange {
    precondition(isTraining && x.shape.count == 4 && x.shape[1] == channels && channels % 16 == 0,
                 "BatchNorm(\(channels)).forward(blocked:): input \(x.shape) in training mode")
    blockedInput = x
    appliedReLU = relu
    let (n, plane) = (x.shape[0], x.shape[2] * x.shape[3])
    computeBatchStatistics(shape: x.shape, values: n * plane, sums: { x.channelSums(around: nil) },
                           squaredDeviations: { means in x.channelSums(around: means) })
    let affine = channelAffine(), scale = Lanes(affine.map(\.scale)), shift = Lanes(affine.map(\.shift))
    let blocks = channels / 16, c = channels
    let y = keepingLayout ? nil : Tensor(uninitialized: x.shape), yBlocked = keepingLayout ? BF16Activation(x.shape) : nil
    Threads.parallelFor(n * blocks) { j in
      let (i, b) = (j / blocks, j % blocks)
      cmh_blocked_normalize(x.tile(i, b), plane, scale[b], shift[b], relu ? 1 : 0, y.map { $0.data + (i * c + b * 16) * plane },
                            yBlocked?.tile(i, b))
    }
    if let yBlocked { return .blocked(yBlocked) }
    return .plain(y!)
  }

  /// The backward pass of `forward(blocked:relu:keepingLayout:)` from dy in either layout (the
  /// ReLU's output gradient when it applied one): dγ and dβ accumulate, dx comes in oneDNN's layout.
  func blockedBackward(_ dy: Exchange) -> BF16Activation {
    guard let x = blockedInput, let dx = BF16Activation(x.shape) else { preconditionFailure("BatchNorm.blockedBackward without forward(blocked:)") }
    precondition(dy.shape == x.shape, "BatchNorm.backward: gradient \(dy.shape), expected \(x.shape)")
    let (plain, blocked) = (dy.plain, dy.blocked)
    blockedInput = nil
    let (n, c, plane, blocks) = (x.shape[0], channels, x.shape[2] * x.shape[3], channels / 16)
    /// dy of item i, block b: float32 NCHW, or its tile in the layout.
    let dyp = plain?.data, tile = { (i: Int, b: Int) in blocked?.tile(i, b) }
    let dg = weight.grad.data, db = bias.grad.data, g = weight.value.data, relu: Int32 = appliedReLU ? 1 : 0
    let affine = channelAffine(), scale = Lanes(affine.map(\.scale)), shift = Lanes(affine.map(\.shift))
    let mu = Lanes(mean), inv = inverseStd
    // Σdy and Σdy·x̂ per channel: this rank's go to dβ and dγ, the whole batch's make dx.
    var sums = [Double](repeating: 0, count: 2 * c)
    sums.withUnsafeMutableBufferPointer { sp in
      Threads.parallelFor(blocks) { b in
        var sumDy = [Double](repeating: 0, count: 16), sumDyXhat = sumDy, s = [Float](repeating: 0, count: 16), t = s
        for i in 0..<n {
          cmh_blocked_gradient_sums(dyp.map { $0 + (i * c + b * 16) * plane }, tile(i, b), x.tile(i, b), plane, scale[b], shift[b], relu,
                                    mu[b], &s, &t)
          for l in 0..<16 { sumDy[l] += Double(s[l]); sumDyXhat[l] += Double(t[l]) }
        }
        for l in 0..<16 {
          let ch = b * 16 + l, dotXhat = sumDyXhat[l] * Double(inv[ch])
          dg[ch] += Float(dotXhat); db[ch] += Float(sumDy[l])
          sp[ch] = sumDy[l]; sp[c + ch] = dotXhat
        }
      }
    }
    sumAcrossRanks?(&sums)
    // dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)), x̂ = (x − μ)·inv: one multiply-add per element.
    let total = Float(count)
    let k = (0..<c).map { g[$0] * inv[$0] }
    let a = (0..<c).map { k[$0] * Float(sums[c + $0]) / total * inv[$0] }
    let shiftDx = Lanes((0..<c).map { a[$0] * mean[$0] - k[$0] * Float(sums[$0]) / total })
    let (kLanes, aLanes) = (Lanes(k), Lanes(a))
    Threads.parallelFor(n * blocks) { j in
      let (i, b) = (j / blocks, j % blocks)
      cmh_blocked_input_gradient(dyp.map { $0 + (i * c + b * 16) * plane }, tile(i, b), x.tile(i, b), plane, scale[b], shift[b], relu,
                                 kLanes[b], aLanes[b], shiftDx[b], dx.tile(i, b))
    }
    return dx
  }
}

/// Per-channel constants in stable storage, 16 channels (a block) at a time.
private struct Lanes {
  let values: Tensor
  init(_ values: [Float]) { self.values = Tensor(shape: [values.count], values: values) }
  subscript(block: Int) -> UnsafePointer<Float> { UnsafePointer(values.data + block * 16) }
}

extension BF16Activation {
  /// Per channel, Σ over the batch and positions of x, or of (x − center)².
  func channelSums(around means: [Float]?) -> [Double] {
    let (n, blocks, plane) = (shape[0], shape[1] / 16, shape[2] * shape[3]), center = means.map(Lanes.init)
    var sums = [Double](repeating: 0, count: shape[1])
    sums.withUnsafeMutableBufferPointer { sp in
      Threads.parallelFor(blocks) { b in
        var s = [Float](repeating: 0, count: 16)
        for i in 0..<n {
          cmh_blocked_sums(tile(i, b), plane, center?[b], &s)
          for l in 0..<16 { sp[b * 16 + l] += Double(s[l]) }
        }
      }
    }
    return sums
  }
}
