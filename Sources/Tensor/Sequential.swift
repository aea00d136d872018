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

  public func forward(_ input: Tensor) -> Tensor {
    layers.reduce(input) { $1.1.forward($0) }
  }

  /// A Conv2D followed by an evaluation-mode BatchNorm (and a ReLU) runs as one layer.
  public func infer(_ input: Tensor) -> Tensor {
    var x = input, i = 0
    while i < layers.count {
      let layer = layers[i].1, next = i + 1 < layers.count ? layers[i + 1].1 : nil
      if let conv = layer as? Conv2D, let bn = next as? BatchNorm, !bn.isTraining {
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
    layers.reversed().reduce(outputGradient) { $1.1.backward($0) }
  }
}
