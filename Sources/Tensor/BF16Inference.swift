// Inference in bf16 with the activations kept in oneDNN's layout between layers. A run of
// Conv2D (· BatchNorm) (· ReLU), MaxPool2d and ResNet blocks (Residual) converts its input once
// and its output once; each convolution carries its evaluation-mode BatchNorm folded into its
// weights and bias, the ReLU after it and a block's residual sum as oneDNN post-ops. Without it
// every convolution reordered its float32 input into bf16 and its output back, and the BatchNorm,
// the sum and the ReLU each took a pass of their own: a fifth of ResNet-34's encoding time.
// Whatever does not fit (a layer of another kind, channels that are not whole blocks of 16, a
// oneDNN failure) runs the float32-interface path, with the same results to bf16's precision.

import CDNNL
import Platform

enum BF16Inference {
  /// One step of a run: a convolution with what follows it, a max pool, or a block.
  indirect enum Unit {
    case convolution(Conv2D, BatchNorm?, relu: Bool)
    case maxPool(MaxPool2d)
    case block(body: [Unit], shortcut: [Unit]?, relu: Bool)
    case sequence([Unit])
  }

  /// What a run from one layer gave.
  enum Outcome {
    /// The layer begins no run (another kind of layer, or float32).
    case none
    /// oneDNN could not run it; the layers run the float32 way, and the caller tries no more runs.
    case failed
    case ran(Tensor, next: Int)

    var result: (Tensor, next: Int)? { if case let .ran(y, next) = self { (y, next) } else { nil } }
    var isNone: Bool { if case .none = self { true } else { false } }
  }

  /// Runs layers from `start` on bf16 activations as far as they allow.
  static func run(_ layers: [(String, Module)], from start: Int, _ x: Tensor) -> Outcome {
    guard BF16Activation.isEnabled && Precision.current == .bf16 && x.rank == 4 else { return .none }
    let modules = layers.map(\.1)
    var units = [Unit](), i = start
    while let (unit, width) = unit(modules, at: i) {
      units.append(unit)
      i += width
    }
    guard let first = units.first, !first.isMaxPool else { return .none }
    guard let input = BF16Activation.from(x), let output = apply(units, to: input) else { return .failed }
    return .ran(output.floats(), next: i)
  }

  // MARK: Which layers run

  /// The unit that begins at `i`, and how many layers it takes.
  static func unit(_ layers: [Module], at i: Int) -> (Unit, Int)? {
    guard i < layers.count else { return nil }
    switch layers[i] {
    case let conv as Conv2D:
      guard conv.suitsBF16 else { return nil }
      guard let bn = i + 1 < layers.count ? layers[i + 1] as? BatchNorm : nil else {
        return (.convolution(conv, nil, relu: false), 1)
      }
      guard !bn.isTraining else { return nil }
      let relu = i + 2 < layers.count && layers[i + 2] is ReLU
      return (.convolution(conv, bn, relu: relu), relu ? 3 : 2)
    case let pool as MaxPool2d:
      return (.maxPool(pool), 1)
    case let sequence as Sequential:
      guard let units = units(sequence.layers.map(\.1)) else { return nil }
      return (.sequence(units), 1)
    case let block as Residual:
      return self.block(block).map { ($0, 1) }
    default:
      return nil
    }
  }

  /// Every layer of `layers` as units, or nil.
  static func units(_ layers: [Module]) -> [Unit]? {
    var units = [Unit](), i = 0
    while i < layers.count {
      guard let (unit, width) = unit(layers, at: i) else { return nil }
      units.append(unit)
      i += width
    }
    return units
  }

  /// A block whose body ends in a convolution (which then adds the shortcut as it writes), with
  /// a shortcut of units or none, and a ReLU or nothing after the sum.
  static func block(_ block: Residual) -> Unit? {
    guard block.after == nil || block.after is ReLU,
          let body = units(block.body.layers.map(\.1)),
          case .convolution(_, _, relu: false)? = body.last else { return nil }
    guard let shortcut = block.shortcut else {
      // The last convolution writes into the block's input, so the body must have read it before.
      return body.count >= 2 ? .block(body: body, shortcut: nil, relu: block.after != nil) : nil
    }
    let layers = (shortcut.1 as? Sequential)?.layers.map(\.1) ?? [shortcut.1]
    guard let units = units(layers) else { return nil }
    return .block(body: body, shortcut: units, relu: block.after != nil)
  }

  // MARK: Running them

  static func apply(_ units: [Unit], to x: BF16Activation) -> BF16Activation? {
    var a = x
    for unit in units {
      guard let next = apply(unit, to: a) else { return nil }
      a = next
    }
    return a
  }

  static func apply(_ unit: Unit, to x: BF16Activation) -> BF16Activation? {
    switch unit {
    case let .convolution(conv, bn, relu):
      guard let y = BF16Activation(conv.outputShape(x.shape)) else { return nil }
      return convolve(conv, bn, relu: relu, x, into: y, accumulate: false) ? y : nil
    case let .maxPool(pool):
      guard let y = BF16Activation(pool.outputShape(x.shape)) else { return nil }
      var s = pool.poolShape(x.shape)
      return cmh_dnnl_maxpool_infer(&s, x.pointer, y.pointer) == 0 ? y : nil
    case let .sequence(units):
      return apply(units, to: x)
    case let .block(body, shortcut, relu):
      // The sum's destination holds the shortcut: the input itself, or the shortcut's output.
      guard let sum = shortcut.map({ apply($0, to: x) }) ?? x,
            let h = apply(Array(body.dropLast()), to: x),
            case let .convolution(conv, bn, _)? = body.last,
            conv.outputShape(h.shape) == sum.shape,
            convolve(conv, bn, relu: relu, h, into: sum, accumulate: true) else { return nil }
      return sum
    }
  }

  /// y = conv(x) with the BatchNorm folded in (+ y when accumulating), floored at 0 with `relu`.
  static func convolve(_ conv: Conv2D, _ bn: BatchNorm?, relu: Bool, _ x: BF16Activation, into y: BF16Activation,
                       accumulate: Bool) -> Bool {
    var s = cmh_conv_shape(n: Int32(x.shape[0]), c: Int32(conv.inChannels), o: Int32(conv.outChannels), h: Int32(x.shape[2]),
                           w: Int32(x.shape[3]), k: Int32(conv.kernelSize), stride: Int32(conv.stride), padding: Int32(conv.padding))
    let prepared = conv.weightsFixed ? PreparedWeights.of(conv, bn, s, relu: relu, accumulate: accumulate) : nil
    let (weights, bias) = prepared.map { (nil, $0.bias) } ?? conv.folded(bn)
    switch cmh_dnnl_conv_infer(&s, x.pointer, weights?.data, prepared?.weights, bias, relu ? 1 : 0, accumulate ? 1 : 0, y.pointer) {
    case 0: return true
    case 1: return false  // only oneDNN's reference code: the float32 path is faster
    default:
      Precision.fallBack(String(cString: cmh_dnnl_error()))
      return false
    }
  }
}

extension BF16Inference {
  /// A fixed convolution's weights with its BatchNorm folded in, in the layout of its oneDNN
  /// convolution for one input shape: folding and reordering them took as long as the convolution
  /// itself for one 224² image through ResNet-34.
  final class PreparedWeights {
    let key: [Int32]
    let weights: UnsafeMutableRawPointer
    let bias: [Float]

    private init(key: [Int32], weights: UnsafeMutableRawPointer, bias: [Float]) { (self.key, self.weights, self.bias) = (key, weights, bias) }
    deinit { weights.deallocate() }

    /// `conv`'s prepared weights for shape `s`, made when the shape is new to it; nil when oneDNN
    /// cannot prepare them (the convolution then reports why, or runs the float32 way).
    static func of(_ conv: Conv2D, _ bn: BatchNorm?, _ s: cmh_conv_shape, relu: Bool, accumulate: Bool) -> PreparedWeights? {
      var s = s
      let key = [s.n, s.h, s.w, relu ? 1 : 0, accumulate ? 1 : 0]
      if let kept = conv.prepared, kept.key == key { return kept }
      conv.prepared = nil
      let bytes = cmh_dnnl_conv_infer_weight_bytes(&s, relu ? 1 : 0, accumulate ? 1 : 0)
      guard bytes > 0 else { return nil }
      let (weights, bias) = conv.folded(bn)
      let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
      guard cmh_dnnl_conv_infer_prepare(&s, relu ? 1 : 0, accumulate ? 1 : 0, weights.data, memory) == 0 else {
        memory.deallocate()
        return nil
      }
      conv.prepared = PreparedWeights(key: key, weights: memory, bias: bias)
      return conv.prepared
    }
  }
}

extension Module {
  /// Declares that the parameters and buffers of this module and its sub-modules will not change
  /// again (a model opened to encode or search): bf16 layers then keep their weights rounded,
  /// folded and in oneDNN's layout between passes instead of preparing them at every pass.
  public func fixWeights() {
    for (_, module) in namedModules() {
      if let conv = module as? Conv2D { conv.weightsFixed = true }
      if let linear = module as? Linear { linear.weightsFixed = true }
    }
  }
}

extension BF16Inference.Unit {
  var isMaxPool: Bool { if case .maxPool = self { return true } else { return false } }
}

extension Conv2D {
  /// [n, o, ho, wo] for an input of `shape`.
  func outputShape(_ shape: [Int]) -> [Int] {
    let g = ConvGeometry(channels: inChannels, height: shape[2], width: shape[3], kernelHeight: kernelSize,
                         kernelWidth: kernelSize, stride: stride, padding: padding)
    return [shape[0], outChannels, g.outputHeight, g.outputWidth]
  }

  /// The weights scaled and the bias shifted so that the convolution alone gives what it and the
  /// evaluation-mode `bn` gave together.
  func folded(_ bn: BatchNorm?) -> (Tensor, [Float]) {
    let ownBias = bias?.value.scalars ?? [Float](repeating: 0, count: outChannels)
    guard let bn else { return (weight.value, ownBias) }
    let affine = bn.runningAffine(relu: false).afterBias(ownBias)
    let w = Tensor(uninitialized: weight.value.shape), source = weight.value.data, per = w.count / outChannels
    for o in 0..<outChannels {
      let scale = affine.scale[o]
      for i in o * per..<(o + 1) * per { w.data[i] = source[i] * scale }
    }
    return (w, affine.shift)
  }
}
