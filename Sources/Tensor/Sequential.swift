// Sequential: modules applied one after another, backward in reverse order.

public final class Sequential: Module {
  public let layers: [(String, Module)]
  public var isTraining = true

  /// Layers named by their position ("0", "1", ...), as torch.nn.Sequential names them.
  public init(_ layers: [Module]) {
    self.layers = layers.enumerated().map { (String($0.offset), $0.element) }
  }

  public convenience init(_ layers: Module...) { self.init(layers) }

  /// Layers with names of their own (`conv1`, `bn1`, ...).
  public init(named layers: [(String, Module)]) {
    precondition(Set(layers.map(\.0)).count == layers.count, "Sequential: duplicate layer names \(layers.map(\.0))")
    self.layers = layers
  }

  public var children: [(String, Module)] { layers }

  /// A BatchNorm followed by a ReLU runs as one layer (`BatchNorm.forward(_:relu:)`); in bf16 a
  /// convolution hands its output to the training-mode BatchNorm after it in oneDNN's layout, and
  /// the BatchNorm so hands its output on to a layer that reads that layout: a convolution of such
  /// a pair, or a residual block (BF16Residual.swift).
  public func forward(_ input: Tensor) -> Tensor { forward(exchange: .plain(input), blockedOut: false).tensor }

  /// The forward pass from an input in either layout; with `blockedOut`, a last convolution and
  /// BatchNorm leave their output in oneDNN's layout for the caller.
  func forward(exchange input: Exchange, blockedOut: Bool) -> Exchange {
    var x = input, i = 0
    while i < layers.count {
      if let (conv, bn) = convolutionPair(at: i), let y = conv.blockedOutput(x) {
        let relu = fusedBatchNorm(before: i + 2) != nil, next = i + (relu ? 3 : 2)
        x = bn.forward(blocked: y, relu: relu, keepingLayout: takesBlocked(at: next, y.shape, blockedOut: blockedOut))
        i = next
      } else if let bn = fusedBatchNorm(before: i + 1) {
        x = .plain(bn.forward(x.tensor, relu: true))
        i += 2
      } else if let child = layers[i].1 as? ExchangesActivations {
        // Its output's shape is not known yet: a layer after it that cannot read the layout converts.
        let next = i + 1 == layers.count ? blockedOut : convolutionPair(at: i + 1) != nil || layers[i + 1].1 is ExchangesActivations
        x = child.forward(exchange: x, blockedOut: next)
        i += 1
      } else {
        x = .plain(layers[i].1.forward(x.tensor))
        i += 1
      }
    }
    return x
  }

  /// Whether layer i reads an input of `dims` in oneDNN's layout (past the last layer: the caller's
  /// `blockedOut`).
  private func takesBlocked(at i: Int, _ dims: [Int], blockedOut: Bool) -> Bool {
    guard i < layers.count else { return blockedOut }
    if let (conv, _) = convolutionPair(at: i) { return conv.takesBlockedInput(dims) }
    return (layers[i].1 as? ExchangesActivations)?.takesBlockedInput(dims) ?? false
  }

  /// The Conv2D at i and the training-mode BatchNorm after it.
  private func convolutionPair(at i: Int) -> (Conv2D, BatchNorm)? {
    guard i + 1 < layers.count, let conv = layers[i].1 as? Conv2D, let bn = layers[i + 1].1 as? BatchNorm, bn.isTraining else { return nil }
    return (conv, bn)
  }

  /// The BatchNorm at i − 1 when layer i is a ReLU, which the BatchNorm then applies.
  private func fusedBatchNorm(before i: Int) -> BatchNorm? {
    guard i > 0 && i < layers.count && layers[i].1 is ReLU else { return nil }
    return layers[i - 1].1 as? BatchNorm
  }

  /// A Conv2D followed by an evaluation-mode BatchNorm (and a ReLU) runs as one layer; in bf16,
  /// runs of such layers, max pools and blocks keep their activations in oneDNN's layout.
  public func infer(_ input: Tensor) -> Tensor {
    var x = input, i = 0, triesBF16 = true
    while i < layers.count {
      let layer = layers[i].1, next = i + 1 < layers.count ? layers[i + 1].1 : nil
      let outcome = triesBF16 ? BF16Inference.run(layers, from: i, x) : .none
      if case .failed = outcome { triesBF16 = false }  // a run that failed once would fail again from its next layer
      if case let .ran(y, end) = outcome {
        x = y
        i = end
      } else if let conv = layer as? Conv2D, let bn = next as? BatchNorm, !bn.isTraining {
        let relu = i + 2 < layers.count && layers[i + 2].1 is ReLU
        x = conv.infer(x, then: bn.runningAffine(relu: relu))
        i += relu ? 3 : 2
      } else {
        x = layer.infer(x)
        i += 1
      }
    }
    return x
  }

  public func backward(_ outputGradient: Tensor) -> Tensor { backward(exchange: .plain(outputGradient)).tensor }

  /// The backward pass from an output gradient in either layout; the input gradient comes in the
  /// layout its first layer gives.
  func backward(exchange outputGradient: Exchange) -> Exchange {
    var dy = outputGradient, i = layers.count - 1
    while i >= 0 {
      // A BatchNorm that applied the ReLU after it runs the ReLU's backward pass too.
      let j = fusedBatchNorm(before: i) != nil ? i - 1 : i
      if j > 0, let bn = layers[j].1 as? BatchNorm, bn.blockedInput != nil, let conv = layers[j - 1].1 as? Conv2D {
        dy = conv.backward(blockedGradient: bn.blockedBackward(dy))
        i = j - 2
      } else if let child = layers[j].1 as? ExchangesActivations {
        dy = child.backward(exchange: dy)
        i = j - 1
      } else {
        dy = .plain(layers[j].1.backward(dy.tensor))
        i = j - 1
      }
    }
    return dy
  }
}

extension Sequential: ExchangesActivations {
  /// Whether the first layer reads an input of `dims` in oneDNN's layout.
  func takesBlockedInput(_ dims: [Int]) -> Bool { isTraining && takesBlocked(at: 0, dims, blockedOut: false) }
}
