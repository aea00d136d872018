// A residual block's stream in oneDNN's layout in bf16 training: the block reads its input there,
// both branches run there (the body's convolutions and BatchNorms hand each other their data in
// it, BF16ConvolutionBatchNorm.swift), and the sum, its ReLU, the ReLU's backward pass and the sum
// of the branches' input gradients are bf16 there too, so that neither the activations nor their
// gradients go through float32 NCHW between blocks. The values are rounded to bf16 where the
// float32 path kept float32: the block's output and the gradient that flows back along the stream
// (as PyTorch's autocast does); `BF16InferenceTests.testTrainingStepMatchesLayerByLayer` holds the
// whole step to the float32 one.

import CBlockedLayout
import Platform

/// A module that takes and gives its activations either way in training, so that runs of bf16
/// layers keep oneDNN's layout across it: Sequential and Residual.
protocol ExchangesActivations: Module {
  /// `blockedOut`: the caller reads an output in oneDNN's layout.
  func forward(exchange x: Exchange, blockedOut: Bool) -> Exchange
  func backward(exchange dy: Exchange) -> Exchange
  /// Whether an input of `dims` in oneDNN's layout runs without a conversion.
  func takesBlockedInput(_ dims: [Int]) -> Bool
}

extension Residual: ExchangesActivations {
  /// In training, with a ReLU after the sum, when the body's first convolution (and the
  /// shortcut's) reads `dims` in oneDNN's layout.
  func takesBlockedInput(_ dims: [Int]) -> Bool {
    guard isTraining && after is ReLU, body.takesBlockedInput(dims) else { return false }
    return shortcut.map { ($0.1 as? ExchangesActivations)?.takesBlockedInput(dims) ?? false } ?? true
  }

  /// max(body(x) + shortcut(x), 0) with the stream in oneDNN's layout; nil where that does not run
  /// (then the float32 path runs). Should oneDNN fail to convert a branch into the layout, the sum
  /// is taken in float32 (the float32 backward pass then runs).
  func blockedForward(_ x: Exchange) -> Exchange? {
    blockedSum = nil
    guard takesBlockedInput(x.shape), let input = x.blocked ?? BF16Activation.from(x.tensor) else { return nil }
    let a = body.forward(exchange: .blocked(input), blockedOut: true)
    let s = shortcut.map { ($0.1 as! ExchangesActivations).forward(exchange: .blocked(input), blockedOut: true) } ?? .blocked(input)
    guard let ab = a.inLayout, let sb = s.inLayout, let y = BF16Activation(ab.shape) else {
      return .plain((after as! ReLU).forward(sumOf: a.tensor, s.tensor))
    }
    y.elementwise(ab, sb) { cmh_bf16_sum($0, $1, $2, 1, $3) }
    blockedSum = y
    return .blocked(y)
  }

  /// The backward pass of `blockedForward`, from dy in either layout; dx in oneDNN's layout.
  func blockedBackward(_ dy: Exchange, output y: BF16Activation) -> Exchange {
    blockedSum = nil
    guard let g = dy.inLayout, let d = BF16Activation(y.shape) else { preconditionFailure("Residual: no memory for a gradient of \(y.shape)") }
    d.elementwise(g, y, cmh_bf16_relu_gradient)
    let dBody = body.backward(exchange: .blocked(d))
    let dShortcut = shortcut.map { ($0.1 as! ExchangesActivations).backward(exchange: .blocked(d)) } ?? .blocked(d)
    guard let a = dBody.inLayout, let b = dShortcut.inLayout, let dx = BF16Activation(a.shape) else {
      preconditionFailure("Residual: no memory for a gradient of \(dBody.shape)")
    }
    dx.elementwise(a, b) { cmh_bf16_sum($0, $1, $2, 0, $3) }
    return .blocked(dx)
  }
}

extension Exchange {
  /// In oneDNN's layout, converted when it is float32 NCHW.
  var inLayout: BF16Activation? { blocked ?? BF16Activation.from(tensor) }
}

extension BF16Activation {
  var count: Int { shape.reduce(1, *) }

  /// self = f(a, b) over every value, the three in one layout.
  func elementwise(_ a: BF16Activation, _ b: BF16Activation,
                   _ f: (UnsafePointer<UInt16>?, UnsafePointer<UInt16>?, Int, UnsafeMutablePointer<UInt16>?) -> Void) {
    precondition(a.shape == shape && b.shape == shape && count % 16 == 0, "BF16Activation: \(a.shape) and \(b.shape) into \(shape)")
    let (pa, pb, out) = (a.values, b.values, values)
    Elementwise.apply(count / 16) { r in f(pa + r.lowerBound * 16, pb + r.lowerBound * 16, r.count * 16, out + r.lowerBound * 16) }
  }

  private var values: UnsafeMutablePointer<UInt16> { pointer.assumingMemoryBound(to: UInt16.self) }
}
