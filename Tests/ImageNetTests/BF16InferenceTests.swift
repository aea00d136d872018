// The image towers' bf16 inference on activations kept in oneDNN's layout, against float32 and
// against bf16 layer by layer. Tolerance: each convolution rounds its input and weights to bf16
// (about 0.3% of an output's RMS, BF16ConvolutionTests); here the activations between layers,
// the folded BatchNorm's weights and the residual sums are bf16 too, over 17 to 36 layers. Asked:
// the outputs' RMS error within 3% of their RMS against float32, and within twice the error of
// bf16 layer by layer (plus 0.5%).

import ImageNet
import Platform
@testable import Tensor
import XCTest

final class BF16InferenceTests: XCTestCase {
  override func setUpWithError() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
    guard BF16Activation([1, 16, 1, 1]) != nil else {
      throw XCTSkip("oneDNN's convolutions here prefer another layout than blocks of 16 channels: the layers exchange float32")
    }
  }

  override func tearDown() {
    BF16Activation.isEnabled = true
    _ = try? Precision.configure(nil)
  }

  /// A tower in evaluation mode with running statistics from a few training batches.
  func trained(_ tower: Sequential, _ g: inout RandomGenerator, side: Int) -> Sequential {
    for _ in 0..<5 { _ = tower.forward(g.normal([8, 3, side, side])) }
    tower.setTraining(false)
    return tower
  }

  func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    let rms = (b.scalars.reduce(0) { $0 + Double($1) * Double($1) } / Double(b.count)).squareRoot()
    let error = (zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(b.count)).squareRoot()
    return error / rms
  }

  func testTowersMatchFloat32() throws {
    var g = RandomGenerator(seed: 31)
    let towers: [(String, Sequential, Int)] = [
      ("ResNet-34 body, width 16", Sequential(named: ResNet.body34(width: 16, generator: &g)), 48),
      ("compact10, width 16", Compact10.network(bits: 16, width: 16, hidden: 64, generator: &g), 48),
      ("compact10, width 32, stride-1 stem", Compact10.network(bits: 16, width: 32, hidden: 64, stemStride: 1, generator: &g), 32),
    ]
    for (label, tower, side) in towers {
      try Precision.configure(.fp32)
      let model = trained(tower, &g, side: side), x = g.normal([3, 3, side, side])
      let reference = model.infer(x)
      try Precision.configure(.bf16)
      XCTAssertNotNil(BF16Inference.run(model.layers, from: 0, x).result, "\(label): the tower runs on bf16 activations")
      let kept = model.infer(x)
      BF16Activation.isEnabled = false
      let layerByLayer = model.infer(x)
      BF16Activation.isEnabled = true
      XCTAssertEqual(Precision.current, .bf16, "\(label): bf16 ran without falling back: \(Precision.choice.reason)")
      XCTAssertEqual(kept.shape, reference.shape, label)
      let error = relativeError(kept, reference), layerError = relativeError(layerByLayer, reference)
      XCTAssertLessThan(error, 0.03, "\(label): RMS error \(error) of the outputs' RMS")
      XCTAssertLessThan(error, 2 * layerError + 0.005, "\(label): \(error) against \(layerError) layer by layer")
    }
  }

  /// A tower whose weights are fixed keeps them prepared (folded, rounded, in oneDNN's layout) and
  /// gives the very numbers it gave preparing them at every pass, for each batch size in turn.
  func testFixedWeightsGiveTheSameOutputs() throws {
    var g = RandomGenerator(seed: 36)
    let tower = trained(Sequential(named: ResNet.body34(width: 16, generator: &g)), &g, side: 32)
    let batches = [g.normal([3, 3, 32, 32]), g.normal([1, 3, 32, 32]), g.normal([3, 3, 32, 32])]
    let expected = batches.map { tower.infer($0) }
    tower.fixWeights()
    for (x, y) in zip(batches, expected) { XCTAssertEqual(tower.infer(x).scalars, y.scalars, "batch of \(x.shape[0])") }
    XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
    let kept = tower.namedModules().compactMap { ($0.1 as? Conv2D)?.prepared }
    XCTAssertEqual(kept.count, tower.namedModules().filter { $0.1 is Conv2D }.count, "every convolution kept its weights")

    // A dense layer's batch (past the streaming path's 32 rows) goes through oneDNN as before.
    let dense = Linear(512, 1024, generator: &g), x = g.normal([48, 512])
    let before = dense.infer(x)
    dense.fixWeights()
    XCTAssertEqual(dense.infer(x).scalars, before.scalars)
    XCTAssertEqual(dense.infer(x).scalars, before.scalars, "the second pass reads the weights rounded by the first")
  }

  /// Layers that do not fit (channels that are not whole blocks of 16, a BatchNorm in training
  /// mode) run the float32-interface path.
  func testLayersThatDoNotFitRunLayerByLayer() {
    var g = RandomGenerator(seed: 32)
    let narrow = Compact10.network(bits: 8, width: 8, hidden: 16, generator: &g)
    narrow.setTraining(false)
    XCTAssertTrue(BF16Inference.run(narrow.layers, from: 0, g.normal([2, 3, 32, 32])).isNone, "channels not in blocks of 16")
    let training = Compact10.network(bits: 8, width: 16, hidden: 16, generator: &g)
    XCTAssertTrue(BF16Inference.run(training.layers, from: 0, g.normal([2, 3, 32, 32])).isNone, "BatchNorm in training mode")
    training.setTraining(false)
    let x = g.normal([2, 3, 32, 32])
    guard let (y, next) = BF16Inference.run(training.layers, from: 0, x).result else { return XCTFail("compact10 at width 16 runs") }
    XCTAssertEqual(training.layers[next].0, "avgpool", "the run ends where global pooling begins")
    XCTAssertEqual(y.shape, [2, 128, 1, 1])
  }

  /// A training step of a ResNet body in bf16, with each convolution handing its output to the
  /// BatchNorm after it in oneDNN's layout and the residual stream kept there, against float32: as close as the same step layer by
  /// layer is. (The two bf16 paths cannot be held to each other more tightly: a difference in
  /// the last float32 bit before a rounding to bf16 moves the result by a whole bf16 step, and
  /// BatchNorm's sums are taken in another order.)
  func testTrainingStepMatchesLayerByLayer() throws {
    var g = RandomGenerator(seed: 33)
    let x = g.normal([8, 3, 48, 48])
    var results = [(Tensor, [Tensor])]()
    for (precision, blocked) in [(PrecisionRequest.fp32, false), (.bf16, false), (.bf16, true)] {
      try Precision.configure(precision)
      BF16Activation.isEnabled = blocked
      var weights = RandomGenerator(seed: 34)
      let tower = Sequential(named: ResNet.body34(width: 16, generator: &weights))
      let y = tower.forward(x)
      if blocked {
        let conv = tower.namedModules().first { $0.0 == "layer1.0.conv2" }?.1 as? Conv2D
        XCTAssertNotNil(conv?.blockedInputShape, "a block's second convolution takes its input from BatchNorm · ReLU in oneDNN's layout")
        let pool = tower.namedModules().first { $0.0 == "maxpool" }?.1 as? MaxPool2d
        XCTAssertNotNil(pool?.blockedRun, "the stem's max pool runs in oneDNN's layout")
        for name in ["layer1.1", "layer2.0", "layer4.2"] {
          let block = tower.namedModules().first { $0.0 == name }?.1 as? Residual
          XCTAssertNotNil(block?.blockedSum, "\(name): the residual stream stays in oneDNN's layout")
        }
      }
      var gradients = RandomGenerator(seed: 35)
      _ = tower.backward(gradients.normal(y.shape))
      results.append((y, tower.namedParameters().map(\.1.grad)))
    }
    BF16Activation.isEnabled = true
    XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
    let (reference, layerByLayer, blocked) = (results[0], results[1], results[2])
    let outputError = relativeError(blocked.0, reference.0), layerOutputError = relativeError(layerByLayer.0, reference.0)
    XCTAssertLessThan(outputError, 2 * layerOutputError + 0.005, "output: \(outputError) against \(layerOutputError) layer by layer")
    func meanError(_ a: [Tensor]) -> Double { zip(a, reference.1).map { relativeError($0, $1) }.reduce(0, +) / Double(a.count) }
    let gradientError = meanError(blocked.1), layerGradientError = meanError(layerByLayer.1)
    XCTAssertLessThan(gradientError, 2 * layerGradientError + 0.005,
                      "parameter gradients, mean relative error \(gradientError) against \(layerGradientError) layer by layer")
  }
}
