// Flatten: [N, d1, d2, ...] → [N, d1·d2·...] without copying; backward restores the shape.

public final class Flatten: Module {
  public var isTraining = true
  private var inputShape = [Int]()
  public init() {}

  public func forward(_ x: Tensor) -> Tensor {
    precondition(x.rank >= 1, "Flatten: input must have a batch dimension, got \(x.shape)")
    inputShape = x.shape
    return x.reshaped([x.shape[0], x.itemCount])
  }

  public func backward(_ dy: Tensor) -> Tensor {
    precondition(dy.count == inputShape.reduce(1, *), "Flatten.backward: gradient \(dy.shape), expected \(inputShape.count) elements")
    return dy.reshaped(inputShape)
  }
}
