// Tests of the pixel diffusion generator: the U-Net's gradients against finite differences for
// every parameter (the whole network, its skip connections and the embedding that every block
// reads, with the weights that start at zero drawn at random so that every path carries gradient),
// and samples of a two-concept image set that a classifier of the real images recognises.

@testable import Augment
import Tensor
import TestSupport
import XCTest

/// The U-Net at fixed timesteps and labels, as a module of the noisy image alone.
private final class AtFixedCondition: Module {
  let network: PixelDenoiser, timesteps: [Int], labels: Tensor
  var isTraining = true
  init(_ network: PixelDenoiser, timesteps: [Int], labels: Tensor) { (self.network, self.timesteps, self.labels) = (network, timesteps, labels) }
  var children: [(String, Module)] { [("unet", network)] }
  func forward(_ x: Tensor) -> Tensor { network.predict(x, timesteps: timesteps, labels: labels, totalSteps: 1000) }
  func backward(_ dy: Tensor) -> Tensor {
    network.backpropagate(dy)
    return Tensor(zeros: [dy.shape[0], network.dimensions])  // the first layer computes no input gradient
  }
}

final class PixelDenoiserTests: XCTestCase {
  func testUNetGradients() {
    var g = RandomGenerator(seed: 51)
    let unet = PixelDenoiser(PixelDenoiserShape(size: 8, channels: 4, labels: 3, timeFeatures: 8), generator: &g)
    for (_, p) in unet.namedParameters() { p.value.assign(g.normal(p.value.shape, std: 0.4)) }
    let labels = Tensor(shape: [2, 3], values: [1, 0, 1, 0, 0, 0])
    let module = AtFixedCondition(unet, timesteps: [120, 870], labels: labels)
    GradientCheck.check(module, input: g.normal([2, unet.dimensions]), step: 1e-2, tolerance: 3e-2, samples: 6, checkInput: false)
  }

  func testUNetStartsAtZeroNoiseAndKeepsItsShape() {
    var g = RandomGenerator(seed: 52)
    let unet = PixelDenoiser(PixelDenoiserShape(size: 8, channels: 8, labels: 2), generator: &g)
    let y = unet.predict(g.normal([3, unet.dimensions]), timesteps: [1, 500, 1000], labels: Tensor(zeros: [3, 2]), totalSteps: 1000)
    XCTAssertEqual(y.shape, [3, 3 * 8 * 8])
    XCTAssertEqual(y.scalars.map(abs).max()!, 0, accuracy: 1e-6, "the output layer starts at zero")
  }

  /// Two concepts on 8×8 images: a red block in the top half or a blue one in the bottom half, at
  /// a random column, on grey with noise. Samples conditioned on each concept must be classified
  /// as that concept (by the nearest class mean of the real images) at least 90% of the time.
  func testSamplesOfAConceptLookLikeThatConcept() throws {
    var g = RandomGenerator(seed: 53)
    let n = 400, s = 8, d = 3 * s * s
    let rows = Tensor(zeros: [n, d]), labels = Tensor(zeros: [n, 2])
    for i in 0..<n {
      let concept = i % 2, column = g.nextInt(below: s - 3)
      labels.data[i * 2 + concept] = 1
      for c in 0..<3 {
        for y in 0..<s {
          for x in 0..<s {
            let inBlock = (concept == 0 ? y < 4 : y >= 4) && x >= column && x < column + 3
            let colour: Float = concept == 0 ? (c == 0 ? 0.9 : 0.1) : (c == 2 ? 0.9 : 0.1)
            rows.data[i * d + c * s * s + y * s + x] = (inBlock ? colour : 0.5) + 0.05 * g.nextNormal()
          }
        }
      }
    }
    var settings = PixelGeneratorSettings()
    settings.diffusion.iterations = 400
    settings.diffusion.batchSize = 32
    settings.diffusion.learningRate = 2e-3
    var weights = RandomGenerator(seed: 54)
    let unet = PixelDenoiser(PixelDenoiserShape(size: s, channels: 16, labels: 2, timeFeatures: 16), generator: &weights)
    let model = DiffusionGenerator(unet, labels: 2, settings: settings.diffusion, scaling: .fixed(mean: 0.5, scale: 0.5), generator: weights)
    try model.fit(rows, labels: labels)
    let asked = Tensor(zeros: [40, 2])
    for i in 0..<40 { asked.data[i * 2 + i % 2] = 1 }
    let samples = model.sample(labels: asked, clip: 1)
    var means = [[Float]](repeating: [Float](repeating: 0, count: d), count: 2)
    for i in 0..<n { for j in 0..<d { means[i % 2][j] += rows.data[i * d + j] / Float(n / 2) } }
    var right = 0
    for i in 0..<40 {
      let distance = (0..<2).map { c in (0..<d).reduce(Float(0)) { $0 + pow(samples.data[i * d + $1] - means[c][$1], 2) } }
      if (distance[0] < distance[1] ? 0 : 1) == i % 2 { right += 1 }
    }
    XCTAssertGreaterThanOrEqual(right, 36, "\(right) of 40 samples classified as the concept they were asked for")
  }
}
