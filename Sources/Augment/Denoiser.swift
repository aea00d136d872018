// Denoiser: the noise predictors of the diffusion generator, and the row denoiser for feature
// corpora — an MLP with residual blocks that reads the noisy sample, a sinusoidal embedding of the
// timestep and the multi-hot label set (zeros when the labels are dropped, for classifier-free
// guidance), concatenated:
//   [x_t | time(t) | labels] → Linear → H, blocks of h + Linear(ReLU(Linear(ReLU(h)))), ReLU → Linear → D.

import Foundation
import Tensor

/// A network that predicts the noise ε in samples x_t [m, D] at timesteps t (of `totalSteps`),
/// conditioned on label rows [m, L] (a row of zeros: no condition).
public protocol NoisePredictor: Module {
  /// The samples' width D.
  var dimensions: Int { get }
  func predict(_ x: Tensor, timesteps: [Int], labels: Tensor, totalSteps: Int) -> Tensor
  /// Back-propagates dL/dε̂ of the last `predict` (in training mode) into the parameters.
  func backpropagate(_ gradient: Tensor)
}

public struct DenoiserShape: Codable, Equatable, Sendable {
  public var dimensions: Int, labels: Int
  public var hidden = 256, blocks = 3, timeFeatures = 32
  public init(dimensions: Int, labels: Int, hidden: Int = 256, blocks: Int = 3, timeFeatures: Int = 32) {
    self.dimensions = dimensions; self.labels = labels; self.hidden = hidden; self.blocks = blocks; self.timeFeatures = timeFeatures
  }
}

public final class RowDenoiser: NoisePredictor {
  public let shape: DenoiserShape
  let network: Sequential
  public var isTraining = true

  public init(_ s: DenoiserShape, generator g: inout RandomGenerator) {
    shape = s
    var layers: [(String, Module)] = [("input", Linear(s.dimensions + s.timeFeatures + s.labels, s.hidden, generator: &g))]
    for b in 0..<s.blocks {
      layers.append(("block\(b + 1)", Residual(body: [("relu1", ReLU()), ("fc1", Linear(s.hidden, s.hidden, generator: &g)),
                                                       ("relu2", ReLU()), ("fc2", Linear(s.hidden, s.hidden, generator: &g))])))
    }
    layers += [("relu", ReLU()), ("output", Linear(s.hidden, s.dimensions, generator: &g))]
    network = Sequential(named: layers)
  }

  public var dimensions: Int { shape.dimensions }
  public var children: [(String, Module)] { network.children }
  public func forward(_ x: Tensor) -> Tensor { network.forward(x) }
  public func backward(_ dy: Tensor) -> Tensor { network.backward(dy) }

  public func predict(_ x: Tensor, timesteps: [Int], labels: Tensor, totalSteps: Int) -> Tensor {
    network.forward(Self.input(x, timesteps: timesteps, labels: labels, shape: shape, totalSteps: totalSteps))
  }

  public func backpropagate(_ gradient: Tensor) { _ = network.backward(gradient) }

  /// The network input rows: samples [m, D], their timesteps' embeddings, and label rows [m, L].
  static func input(_ x: Tensor, timesteps: [Int], labels: Tensor, shape s: DenoiserShape, totalSteps: Int) -> Tensor {
    let m = x.shape[0], width = s.dimensions + s.timeFeatures + s.labels
    let out = Tensor(zeros: [m, width]), time = TimeEmbedding.sinusoid(timesteps, features: s.timeFeatures, totalSteps: totalSteps)
    for r in 0..<m {
      let row = out.data + r * width
      row.update(from: x.data + r * s.dimensions, count: s.dimensions)
      (row + s.dimensions).update(from: time.data + r * s.timeFeatures, count: s.timeFeatures)
      (row + s.dimensions + s.timeFeatures).update(from: labels.data + r * s.labels, count: s.labels)
    }
    return out
  }
}

public enum TimeEmbedding {
  /// Rows [m, features]: sines then cosines of t (scaled to 0…1000) at geometric frequencies.
  public static func sinusoid(_ timesteps: [Int], features: Int, totalSteps: Int) -> Tensor {
    let half = features / 2, out = Tensor(zeros: [timesteps.count, features])
    for (r, step) in timesteps.enumerated() {
      let t = Double(step) / Double(totalSteps) * 1000
      for i in 0..<half {
        let angle = t * exp(-log(10_000) * Double(i) / Double(half))
        out.data[r * features + i] = Float(sin(angle))
        out.data[r * features + half + i] = Float(cos(angle))
      }
    }
    return out
  }
}
