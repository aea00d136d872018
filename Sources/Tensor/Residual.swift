// Residual: y = after(body(x) + shortcut(x)), the skeleton of ResNet's blocks; the shortcut is
// the identity unless given. Children keep their own names, so a BasicBlock's parameters read
// `conv1.weight`, `bn2.bias`, `downsample.0.weight` as in torchvision. In bf16 training the
// stream between blocks stays in oneDNN's layout (BF16Residual.swift).

public final class Residual: Module {
  public let body: Sequential
  public let shortcut: (String, Module)?
  public let after: Module?
  public var isTraining = true
  /// The block's output in oneDNN's layout when the forward pass ran there (the ReLU's mask).
  var blockedSum: BF16Activation?

  public init(body: [(String, Module)], shortcut: (String, Module)? = nil, after: Module? = nil) {
    self.body = Sequential(named: body)
    self.shortcut = shortcut
    self.after = after
  }

  public var children: [(String, Module)] {
    body.layers + (shortcut.map { [$0] } ?? [])
  }

  public func forward(_ x: Tensor) -> Tensor { forward(exchange: .plain(x), blockedOut: false).tensor }

  /// The sum and a ReLU after it in one pass.
  func forward(exchange x: Exchange, blockedOut: Bool) -> Exchange {
    if let y = blockedForward(x) { return blockedOut ? y : .plain(y.tensor) }
    let input = x.tensor, a = body.forward(input), s = shortcut?.1.forward(input) ?? input
    if let relu = after as? ReLU { return .plain(relu.forward(sumOf: a, s)) }
    let sum = ReLU.sum(a, s, relu: false)
    return .plain(after?.forward(sum) ?? sum)
  }

  public func infer(_ x: Tensor) -> Tensor {
    let a = body.infer(x), s = shortcut?.1.infer(x) ?? x, relu = after is ReLU
    let sum = ReLU.sum(a, s, relu: relu)
    return relu ? sum : after?.infer(sum) ?? sum
  }

  public func backward(_ dy: Tensor) -> Tensor { backward(exchange: .plain(dy)).tensor }

  /// The gradient of the sum reaches both branches unchanged; their input gradients add.
  func backward(exchange dy: Exchange) -> Exchange {
    if let y = blockedSum { return blockedBackward(dy, output: y) }
    let d = after?.backward(dy.tensor) ?? dy.tensor
    let dx = body.backward(d)
    let ds = shortcut?.1.backward(d) ?? d
    dx.add(ds)
    return .plain(dx)
  }
}
