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

  public func forward(_ x: Tensor) -> Tensor {
    let sum = Self.add(body.forward(x), shortcut?.1.forward(x) ?? x, relu: false)
    return after?.forward(sum) ?? sum
  }

  /// The sum and a ReLU after it in one pass.
  public func infer(_ x: Tensor) -> Tensor {
    let relu = after is ReLU
    let sum = Self.add(body.infer(x), shortcut?.1.infer(x) ?? x, relu: relu)
    return relu ? sum : after?.infer(sum) ?? sum
  }

  /// a + s, floored at 0 with `relu`.
  private static func add(_ a: Tensor, _ s: Tensor, relu: Bool) -> Tensor {
    precondition(a.shape == s.shape, "Residual: body gives \(a.shape) but the shortcut gives \(s.shape)")
    let sum = Tensor(uninitialized: a.shape), pa = a.data, ps = s.data, out = sum.data, floor: Float = relu ? 0 : -.infinity
    Elementwise.apply(sum.count) { range in for i in range { let v = pa[i] + ps[i]; out[i] = v < floor ? floor : v } }
    return sum
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
