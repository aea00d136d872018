// RandomGenerator: a seeded xoshiro256** generator, the same numbers for a seed on every machine.

import Foundation

/// xoshiro256** seeded through SplitMix64. Its four words are its whole state, so a checkpoint
/// can store and restore it exactly.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
  public var state: [UInt64]

  public init(seed: UInt64) {
    var x = seed
    var words = [UInt64]()
    for _ in 0..<4 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      words.append(z ^ (z >> 31))
    }
    state = words
  }

  public init(state: [UInt64]) {
    precondition(state.count == 4 && state.contains { $0 != 0 }, "RandomGenerator: state must be four words, not all zero")
    self.state = state
  }

  public mutating func next() -> UInt64 {
    let result = rotl(state[1] &* 5, 7) &* 9
    let t = state[1] << 17
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= t
    state[3] = rotl(state[3], 45)
    return result
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// Uniform in [0, 1) with 24 random bits, exact in Float.
  public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Uniform in [low, high).
  public mutating func nextUniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextUniform() }

  /// Standard normal by Box-Muller (computed in Double so that results are stable).
  public mutating func nextNormal() -> Float {
    let u1 = (Double(next() >> 11) + 1) * 0x1p-53
    let u2 = Double(next() >> 11) * 0x1p-53
    return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
  }

  /// Uniform integer in 0..<bound.
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
    return Int(next() % UInt64(bound))
  }

  /// A tensor of independent normal(0, std) values.
  public mutating func normal(_ shape: [Int], std: Float = 1) -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = nextNormal() * std }
    return t
  }

  /// A tensor of independent uniform values in [low, high).
  public mutating func uniform(_ shape: [Int], _ low: Float, _ high: Float) -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = nextUniform(low, high) }
    return t
  }

  /// The numbers 0..<n in a random order (Fisher-Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var order = Array(0..<n)
    for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, nextInt(below: i + 1)) }
    return order
  }
}
