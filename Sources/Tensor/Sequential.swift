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
  /// convolution hands its output to the training-mode BatchNorm after it in oneDNN's layout
  /// (BF16ConvolutionBatchNorm.swift).
  public func forward(_ input: Tensor) -> Tensor {
    var x = input, i = 0
    while i < layers.count {
      let relu = fusedBatchNorm(before: i + 2) != nil
      if let conv = layers[i].1 as? Conv2D, i + 1 < layers.count, let bn = layers[i + 1].1 as? BatchNorm, bn.isTraining,
         let y = conv.blockedOutput(x) {
        x = bn.forward(blocked: y, relu: relu)
        i += relu ? 3 : 2
      } else if let bn = fusedBatchNorm(before: i + 1) {
        x = bn.forward(x, relu: true)
        i += 2
      } else {
        x = layers[i].1.forward(x)
        i += 1
      }
    }
    return x
  }

  /// The BatchNorm at i − 1 when layer i is a ReLU, which the BatchNorm then applies.
  private func fusedBatchNorm(before i: Int) -> BatchNorm? {
    guard i > 0 && i < layers.count && layers[i].1 is ReLU else { return nil }
    return layers[i - 1].1 as? BatchNorm
  }

  /// A Conv2D followed by an evaluation-mode BatchNorm (and a ReLU) runs as one layer; in bf16,
  /// runs of such layers, max pools and blocks keep their activations in oneDNN's layout.
  public func infer(_ input: Tensor) -> Tensor {
    var x = input, i = 0
    while i < layers.count {
      let layer = layers[i].1, next = i + 1 < layers.count ? layers[i + 1].1 : nil
      if let (y, end) = BF16Inference.run(layers, from: i, x) {
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

  public func backward(_ outputGradient: Tensor) -> Tensor {
    var dy = outputGradient, i = layers.count - 1
    while i >= 0 {
      // A BatchNorm that applied the ReLU after it runs the ReLU's backward pass too.
      let j = fusedBatchNorm(before: i) != nil ? i - 1 : i
      if j > 0, let bn = layers[j].1 as? BatchNorm, bn.blockedInput != nil, let conv = layers[j - 1].1 as? Conv2D {
        dy = conv.backward(blockedGradient: bn.blockedBackward(dy))
        i = j - 2
      } else {
        dy = layers[j].1.backward(dy)
        i = j - 1
      }
    }
    return dy
  }
}
