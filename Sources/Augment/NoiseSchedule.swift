// NoiseSchedule: the forward (noising) process of a denoising diffusion model with the cosine
// schedule of Nichol & Dhariwal, and the deterministic DDIM step that reverses it.
//   ᾱ(t) = f(t)/f(0),  f(t) = cos²(((t/T) + s)/(1 + s) · π/2),  s = 0.008,  t = 0…T
//   q(x_t | x_0):  x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε,  ε ~ N(0, I)
//   one forward step: x_t = √(1 − β_t) · x_{t−1} + √β_t · ε,  β_t = 1 − ᾱ_t/ᾱ_{t−1} (≤ 0.999)

import Foundation

public struct NoiseSchedule: Sendable {
  public let steps: Int
  /// ᾱ_t for t = 0…steps (ᾱ_0 = 1).
  public let alphaBar: [Double]

  public init(steps: Int = 1000, offset: Double = 0.008) {
    precondition(steps >= 1, "NoiseSchedule: at least one step")
    self.steps = steps
    let f = { (t: Int) in pow(cos((Double(t) / Double(steps) + offset) / (1 + offset) * Double.pi / 2), 2) }
    var bars = [1.0]
    for t in 1...steps {
      let beta = min(1 - f(t) / f(t - 1), 0.999)  // clipped as in the paper, so ᾱ_T stays above 0
      bars.append(bars[t - 1] * (1 - beta))
    }
    alphaBar = bars
  }

  public func beta(_ t: Int) -> Double { 1 - alphaBar[t] / alphaBar[t - 1] }

  /// x_t from x_0 and the noise ε in one go.
  public func noised(_ x0: Float, noise: Float, at t: Int) -> Float {
    Float(alphaBar[t].squareRoot()) * x0 + Float((1 - alphaBar[t]).squareRoot()) * noise
  }

  /// The DDIM (η = 0) move from x_t to x_s (s < t) given the predicted noise: through the implied
  /// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, clipped to ±`clip` when given.
  public func ddimStep(_ x: Float, predictedNoise e: Float, from t: Int, to s: Int, clip: Float? = nil) -> Float {
    var x0 = (x - Float((1 - alphaBar[t]).squareRoot()) * e) / Float(alphaBar[t].squareRoot())
    if let clip { x0 = max(-clip, min(clip, x0)) }
    return Float(alphaBar[s].squareRoot()) * x0 + Float((1 - alphaBar[s]).squareRoot()) * e
  }

  /// `count` timesteps from T down to 1, evenly spaced, then 0 (the sampler's path).
  public func samplingPath(_ count: Int) -> [Int] {
    let n = max(1, min(count, steps))
    var path = (0..<n).map { steps - $0 * steps / n }
    path.append(0)
    return path
  }
}
