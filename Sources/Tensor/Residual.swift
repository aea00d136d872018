// Residual: y = after(body(x) + shortcut(x)), the skeleton of ResNet's blocks; the shortcut is
// the identity unless given. Children keep their own names, so a BasicBlock's parameters read
// `conv1.weight`, `bn2.bias`, `downsample.0.weight` as in torchvision.

public final class Residual: Module {
  public let body: Sequential
  public let shortcut: (String, Module)?
  public let after: Module?
  public var isTraining = true

  public init(body: [(String, Module)], shortcut: (String, Module)? = nil, after: Module? = nil) {
    self.body = Sequential(named: body)
    self.shortcut = shortcut
    self.after = after
  }

  public var children: [(String, Module)] {
    body.layers + (shortcut.map { [$0] } ?? [])
  }

  /// The sum and a ReLU after it in one pass.
  public func forward(_ x: Tensor) -> Tensor {
    let a = body.forward(x), s = shortcut?.1.forward(x) ?? x
    if let relu = after as? ReLU { return relu.forward(sumOf: a, s) }
    let sum = ReLU.sum(a, s, relu: false)
    return after?.forward(sum) ?? sum
  }

  public func infer(_ x: Tensor) -> Tensor {
    let a = body.infer(x), s = shortcut?.1.infer(x) ?? x, relu = after is ReLU
    let sum = ReLU.sum(a, s, relu: relu)
    return relu ? sum : after?.infer(sum) ?? sum
  }

  /// The gradient of the sum reaches both branches unchanged; their input gradients add.
  public func backward(_ dy: Tensor) -> Tensor {
    let d = after?.backward(dy) ?? dy
    let dx = body.backward(d)
    let ds = shortcut?.1.backward(d) ?? d
    dx.add(ds)
    return dx
  }
}
