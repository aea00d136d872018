// TextTower: the text network — bag-of-words rows into an MLP with ReLU hidden layers (4,096 and
// 4,096 by default) and a tanh output of k units. The first layer takes sparse rows, so its cost
// follows the words of the batch, not the vocabulary. Names: fc1, fc2, …, hash.code.

import Tensor

public final class TextTower: Module {
  public let inputSize: Int, bits: Int, hidden: [Int]
  private let first: Linear
  private let rest: Sequential
  public var isTraining = true

  public init(inputSize: Int, bits: Int, hidden: [Int] = [4096, 4096], generator g: inout RandomGenerator) {
    precondition(inputSize > 0 && bits > 0 && !hidden.isEmpty && hidden.allSatisfy { $0 > 0 },
                 "TextTower: input size \(inputSize), bits \(bits) and hidden sizes \(hidden) must be positive, with at least one hidden layer")
    self.inputSize = inputSize
    self.bits = bits
    self.hidden = hidden
    let sizes = [inputSize] + hidden
    first = Linear(inputSize, sizes[1], generator: &g)
    var layers: [(String, Module)] = [("relu1", ReLU())]
    for i in 1..<hidden.count {
      layers += [("fc\(i + 1)", Linear(sizes[i], sizes[i + 1], generator: &g)), ("relu\(i + 1)", ReLU())]
    }
    layers.append(("hash", Sequential(named: [("code", Linear(hidden.last!, bits, generator: &g)), ("tanh", Tanh())])))
    rest = Sequential(named: layers)
  }

  public var children: [(String, Module)] { [("fc1", first)] + rest.layers }
  /// The first layer, which reads sparse rows when the input is words.
  public var sparseLayer: Linear { first }

  /// Dense rows [N, V] (a corpus's text feature matrix).
  public func forward(_ x: Tensor) -> Tensor { rest.forward(first.forward(x)) }
  public func backward(_ dy: Tensor) -> Tensor { first.backward(rest.backward(dy)) }

  /// Sparse bag-of-words rows; train with `backwardSparse`.
  public func forward(sparse x: SparseRows) -> Tensor { rest.forward(first.forward(sparse: x)) }
  /// The same in evaluation, through each layer's `infer` (no state kept for a backward pass).
  public func infer(sparse x: SparseRows) -> Tensor { rest.infer(first.forward(sparse: x)) }
  public func backwardSparse(_ dy: Tensor) { first.backwardSparse(rest.backward(dy)) }
}
