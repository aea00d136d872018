// ChannelAffine: y = max(floor, x·scale[c] + shift[c]) per channel, applied by a convolution as it
// writes its outputs. It carries a convolution's bias, and in inference the evaluation-mode
// BatchNorm (and ReLU) that follows it, which then cost no pass over the activations of their own.

public struct ChannelAffine {
  public let scale: [Float], shift: [Float]
  /// −∞ for a plain affine map, 0 when a ReLU follows.
  public let floor: Float

  public init(scale: [Float], shift: [Float], relu: Bool = false) {
    precondition(scale.count == shift.count, "ChannelAffine: \(scale.count) scales, \(shift.count) shifts")
    self.scale = scale
    self.shift = shift
    floor = relu ? 0 : -.infinity
  }

  /// A bias: y = x + b.
  public init(bias: [Float]) {
    self.init(scale: [Float](repeating: 1, count: bias.count), shift: bias)
  }

  /// This map after adding `bias` to x: scale·(x + b) + shift.
  func afterBias(_ bias: [Float]) -> ChannelAffine {
    ChannelAffine(scale: scale, shift: (0..<bias.count).map { shift[$0] + scale[$0] * bias[$0] }, relu: floor == 0)
  }

  /// Applies channel c's map to `count` floats in place.
  func apply(_ p: UnsafeMutablePointer<Float>, count: Int, channel c: Int) {
    let s = scale[c], t = shift[c], f = floor
    for i in 0..<count { p[i] = Self.map(p[i], s, t, f) }
  }

  /// x·s + t, raised to f; NaN stays NaN (`max` would turn it into f).
  @inline(__always) static func map(_ x: Float, _ s: Float, _ t: Float, _ f: Float) -> Float {
    let v = x * s + t
    return v < f ? f : v
  }
}
