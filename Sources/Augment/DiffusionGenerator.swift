// DiffusionGenerator: a conditional denoising diffusion model of rows — image-feature/text pairs in
// the towers' own spaces (RowDenoiser), or images flattened to rows (PixelDenoiser) — conditioned
// on multi-hot label sets with classifier-free guidance.
// Training: rows are standardised (per column, or by a fixed affine map for pixels); each step draws t ~ U{1…T} and ε ~ N(0, I), makes
// x_t in closed form, drops the labels of ~10% of the rows, and fits ε by mean squared error (Adam).
// Sampling: DDIM over ~50 steps from pure noise, ε = ε_uncond + w·(ε_cond − ε_uncond).

import Foundation
import Model
import Tensor

public struct DiffusionSettings: Codable, Equatable, Sendable {
  public var trainingSteps = 1000
  public var iterations = 3000, batchSize = 256
  public var learningRate: Float = 1e-3
  public var labelDropout: Float = 0.1
  public var samplingSteps = 50
  public var guidance: Float = 2
  public var seed: UInt64 = 1
  /// Sampling uses an exponential moving average of the weights with this decay (0: the last
  /// weights), as image diffusion models do: the last step's weights carry its batch's noise.
  public var averageDecay: Float = 0
  public init() {}
}

public final class DiffusionGenerator {
  /// How rows are put on the scale of the noise: per column (feature rows), or one affine map
  /// for every column (pixels: 0…1 to −1…1, keeping colours as they are relative to each other).
  public enum Scaling: Sendable { case perColumn, fixed(mean: Float, scale: Float) }

  public let settings: DiffusionSettings
  public let schedule: NoiseSchedule
  public let labelCount: Int
  let network: NoisePredictor
  let scaling: Scaling
  /// Column means and standard deviations of the training rows.
  private(set) var mean: [Float], scale: [Float]
  var generator: RandomGenerator

  /// The row denoiser of `shape`, its weights drawn from the settings' seed.
  public convenience init(shape: DenoiserShape, settings: DiffusionSettings = DiffusionSettings()) {
    var g = RandomGenerator(seed: settings.seed)
    self.init(RowDenoiser(shape, generator: &g), labels: shape.labels, settings: settings, scaling: .perColumn, generator: g)
  }

  /// `generator` continues the draws that made the network's weights.
  public init(_ network: NoisePredictor, labels: Int, settings: DiffusionSettings, scaling: Scaling, generator: RandomGenerator) {
    self.network = network
    self.labelCount = labels
    self.settings = settings
    self.scaling = scaling
    schedule = NoiseSchedule(steps: settings.trainingSteps)
    self.generator = generator
    let (m, s): (Float, Float) = if case .fixed(let m, let s) = scaling { (m, s) } else { (0, 1) }
    mean = [Float](repeating: m, count: network.dimensions)
    scale = [Float](repeating: s, count: network.dimensions)
  }

  /// Fits the model to rows [n, D] with multi-hot labels [n, L]; `progress(iteration, loss)`.
  /// With `checkpoint`, the training saves itself every interval and when asked to stop (then it
  /// throws, naming the file), and resumes from it. Returns the mean loss of the last tenth of the
  /// iterations (of those run since a resume).
  @discardableResult
  public func fit(_ rows: Tensor, labels: Tensor, checkpoint: GeneratorCheckpoint? = nil, progress: (Int, Float) -> Void = { _, _ in }) throws -> Float {
    let (n, d) = (rows.shape[0], network.dimensions)
    precondition(rows.shape == [n, d] && labels.shape == [n, labelCount], "DiffusionGenerator.fit: rows \(rows.shape), labels \(labels.shape)")
    if case .perColumn = scaling { standardise(rows) }
    let data = rows.copy()
    for r in 0..<n { for j in 0..<d { data.data[r * d + j] = (data.data[r * d + j] - mean[j]) / scale[j] } }
    let parameters = network.namedParameters().map(\.1)
    let optimizer = Adam(groups: [ParameterGroup(network.namedParameters(), learningRate: settings.learningRate)])
    let averages = parameters.map { $0.value.copy() }
    let identity = checkpoint.map { _ in GeneratorCheckpoint.identity(settings: settings, network: network, rows: rows, labels: labels) } ?? ""
    let done = try checkpoint?.restore(network, optimizer: optimizer, averages: averages, generator: &generator, identity: identity, iterations: settings.iterations) ?? 0
    network.setTraining(true)
    var recent = [Float](), saved = Date()
    for iteration in stride(from: done + 1, through: settings.iterations, by: 1) {
      let loss = step(data, labels: labels, optimizer: optimizer)
      if settings.averageDecay > 0 { average(parameters, into: averages, decay: settings.averageDecay) }
      if iteration * 10 > settings.iterations * 9 { recent.append(loss) }
      progress(iteration, loss)
      guard let checkpoint else { continue }
      let stopping = checkpoint.shouldStop() && iteration < settings.iterations
      if stopping || iteration == settings.iterations || Date().timeIntervalSince(saved) >= checkpoint.interval {
        try checkpoint.save(network, optimizer: optimizer, averages: averages, generator: generator, iteration: iteration, identity: identity)
        saved = Date()
      }
      if stopping {
        throw TrainingError(description: "interrupted after iteration \(iteration) of \(settings.iterations); saved \(checkpoint.url.path) — "
                            + "run the same command with --resume to go on")
      }
    }
    if settings.averageDecay > 0 { for (p, a) in zip(parameters, averages) { p.value.assign(a) } }
    network.setTraining(false)
    return recent.reduce(0, +) / Float(max(recent.count, 1))
  }

  /// One iteration: a batch of rows noised at random steps, a tenth of their labels dropped, and
  /// Adam's step on the noise prediction's squared error. Returns the loss.
  private func step(_ data: Tensor, labels: Tensor, optimizer: Adam) -> Float {
    let (n, d) = (data.shape[0], network.dimensions)
    let batch = (0..<min(settings.batchSize, n)).map { _ in generator.nextInt(below: n) }
    let timesteps = batch.map { _ in 1 + generator.nextInt(below: schedule.steps) }
    let noise = generator.normal([batch.count, d])
    let x = data.rows(batch)
    for r in 0..<batch.count { for j in 0..<d { x.data[r * d + j] = schedule.noised(x.data[r * d + j], noise: noise.data[r * d + j], at: timesteps[r]) } }
    let conditions = labels.rows(batch)
    for r in 0..<batch.count where generator.nextUniform() < settings.labelDropout {
      for l in 0..<labelCount { conditions.data[r * labelCount + l] = 0 }
    }
    let predicted = network.predict(x, timesteps: timesteps, labels: conditions, totalSteps: schedule.steps)
    let (loss, gradient) = MeanSquaredError.evaluate(predicted, noise)
    optimizer.zeroGradients()
    network.backpropagate(gradient)
    optimizer.step()
    return loss
  }

  /// averages = decay · averages + (1 − decay) · weights.
  private func average(_ parameters: [Parameter], into averages: [Tensor], decay: Float) {
    for (p, a) in zip(parameters, averages) {
      let w = p.value.data, m = a.data
      for i in 0..<a.count { m[i] = decay * m[i] + (1 - decay) * w[i] }
    }
  }

  /// One row for each label row of `labels` [m, L], in the original (unstandardised) units. The
  /// sampler's estimate of x_0 is clipped to ±`clip` standard deviations: at the first steps ᾱ_t is
  /// near 0 and dividing by √ᾱ_t would blow small errors of ε̂ up.
  public func sample(labels: Tensor, clip: Float = 5) -> Tensor {
    let (m, d) = (labels.shape[0], network.dimensions)
    let x = generator.normal([m, d])
    let path = schedule.samplingPath(settings.samplingSteps)
    network.setTraining(false)
    let none = Tensor(zeros: labels.shape)
    for (t, s) in zip(path, path.dropFirst()) {
      let both = Tensor(zeros: [2 * m, d])
      both.data.update(from: x.data, count: m * d)
      (both.data + m * d).update(from: x.data, count: m * d)
      let conditions = Tensor(zeros: [2 * m, labelCount])
      conditions.data.update(from: labels.data, count: labels.count)
      (conditions.data + labels.count).update(from: none.data, count: none.count)
      let e = network.predict(both, timesteps: [Int](repeating: t, count: 2 * m), labels: conditions, totalSteps: schedule.steps)
      for i in 0..<(m * d) {
        let guided = e.data[m * d + i] + settings.guidance * (e.data[i] - e.data[m * d + i])
        x.data[i] = schedule.ddimStep(x.data[i], predictedNoise: guided, from: t, to: s, clip: clip)
      }
    }
    for r in 0..<m { for j in 0..<d { x.data[r * d + j] = x.data[r * d + j] * scale[j] + mean[j] } }
    return x
  }

  private func standardise(_ rows: Tensor) {
    let (n, d) = (rows.shape[0], network.dimensions)
    for j in 0..<d {
      var sum = 0.0, squares = 0.0
      for r in 0..<n { let v = Double(rows.data[r * d + j]); sum += v; squares += v * v }
      let m = sum / Double(n)
      mean[j] = Float(m)
      scale[j] = Float(max((squares / Double(n) - m * m).squareRoot(), 1e-3))
    }
  }
}
