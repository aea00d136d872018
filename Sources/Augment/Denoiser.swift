// Denoiser: the ε-prediction network of the diffusion generator — an MLP with residual blocks
// that reads the noisy sample, a sinusoidal embedding of the timestep and the multi-hot label set
// (zeros when the labels are dropped, for classifier-free guidance), concatenated:
//   [x_t | time(t) | labels] → Linear → H, blocks of h + Linear(ReLU(Linear(ReLU(h)))), ReLU → Linear → D.

import Foundation
import Tensor

public struct DenoiserShape: Codable, Equatable, Sendable {
  public var dimensions: Int, labels: Int
  public var hidden = 256, blocks = 3, timeFeatures = 32
  public init(dimensions: Int, labels: Int, hidden: Int = 256, blocks: Int = 3, timeFeatures: Int = 32) {
    self.dimensions = dimensions; self.labels = labels; self.hidden = hidden; self.blocks = blocks; self.timeFeatures = timeFeatures
  }
}

public enum Denoiser {
  public static func network(_ s: DenoiserShape, generator g: inout RandomGenerator) -> Sequential {
    var layers: [(String, Module)] = [("input", Linear(s.dimensions + s.timeFeatures + s.labels, s.hidden, generator: &g))]
    for b in 0..<s.blocks {
      layers.append(("block\(b + 1)", Residual(body: [("relu1", ReLU()), ("fc1", Linear(s.hidden, s.hidden, generator: &g)),
                                                       ("relu2", ReLU()), ("fc2", Linear(s.hidden, s.hidden, generator: &g))])))
    }
    layers += [("relu", ReLU()), ("output", Linear(s.hidden, s.dimensions, generator: &g))]
    return Sequential(named: layers)
  }

  /// The network input rows: samples [m, D], their timesteps, and label rows [m, L] (nil: dropped).
  static func input(_ x: Tensor, timesteps: [Int], labels: Tensor?, shape s: DenoiserShape, totalSteps: Int) -> Tensor {
    let m = x.shape[0], width = s.dimensions + s.timeFeatures + s.labels
    let out = Tensor(zeros: [m, width])
    let half = s.timeFeatures / 2
    for r in 0..<m {
      let row = out.data + r * width
      for j in 0..<s.dimensions { row[j] = x.data[r * s.dimensions + j] }
      let t = Double(timesteps[r]) / Double(totalSteps) * 1000
      for i in 0..<half {
        let angle = t * exp(-log(10_000) * Double(i) / Double(half))
        row[s.dimensions + i] = Float(sin(angle))
        row[s.dimensions + half + i] = Float(cos(angle))
      }
      if let labels { for l in 0..<s.labels { row[s.dimensions + s.timeFeatures + l] = labels.data[r * s.labels + l] } }
    }
    return out
  }
}
