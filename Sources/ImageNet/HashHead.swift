// HashHead: the layers that turn a feature vector into k continuous code bits in (−1, 1):
// [linear(→hidden) · ReLU] · linear(→k) · tanh. Names: `hidden.weight`, `code.weight`.

import Tensor

public final class HashHead: Module {
  public let layers: Sequential
  public var isTraining = true

  public init(_ inputSize: Int, bits: Int, hidden: Int? = nil, generator g: inout RandomGenerator) {
    var named = [(String, Module)]()
    var size = inputSize
    if let hidden {
      named += [("hidden", Linear(inputSize, hidden, generator: &g)), ("relu", ReLU())]
      size = hidden
    }
    named += [("code", Linear(size, bits, generator: &g)), ("tanh", Tanh())]
    layers = Sequential(named: named)
  }

  public var children: [(String, Module)] { layers.layers }
  public func forward(_ x: Tensor) -> Tensor { layers.forward(x) }
  public func backward(_ dy: Tensor) -> Tensor { layers.backward(dy) }
}
