// Dropout: in training, zeroes each element with probability p and scales the rest by 1/(1 − p).

public final class Dropout: RandomModule {
  public let probability: Float
  public var isTraining = true
  public var generator: RandomGenerator
  private var mask: Tensor?

  public init(probability: Float = 0.5, seed: UInt64) {
    precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) outside [0, 1)")
    self.probability = probability
    generator = RandomGenerator(seed: seed)
  }

  /// y = x·m with m ∈ {0, 1/(1 − p)} drawn anew each call; the identity in evaluation mode.
  public func forward(_ x: Tensor) -> Tensor {
    guard isTraining && probability > 0 else { mask = nil; return x }
    let m = Tensor(zeros: x.shape), y = Tensor(zeros: x.shape), keep = 1 / (1 - probability)
    for i in 0..<x.count {
      m.data[i] = generator.nextUniform() < probability ? 0 : keep
      y.data[i] = x.data[i] * m.data[i]
    }
    mask = m
    return y
  }

  /// dx = dy·m (dy itself when the forward was the identity)
  public func backward(_ dy: Tensor) -> Tensor {
    guard let m = mask else { return dy }
    precondition(dy.shape == m.shape, "Dropout.backward: gradient \(dy.shape), expected \(m.shape)")
    let dx = Tensor(zeros: dy.shape)
    for i in 0..<dy.count { dx.data[i] = dy.data[i] * m.data[i] }
    return dx
  }
}
