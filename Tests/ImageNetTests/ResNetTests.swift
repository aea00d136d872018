// Tests of the image towers: torchvision's parameter names and sizes, output shapes and ranges,
// and that a few optimiser steps fit a small batch.

import ImageNet
import Tensor
import XCTest

final class ResNetTests: XCTestCase {
  func testResNet34MatchesTorchvision() {
    var g = RandomGenerator(seed: 1)
    let body = Sequential(named: ResNet.body34(generator: &g))
    // torchvision's resnet34 has 21,797,672 parameters, 513,000 of them in its 1000-way fc.
    XCTAssertEqual(body.parameterCount, 21_797_672 - 513_000)
    let names = body.namedParameters().map(\.0)
    XCTAssertEqual(names.prefix(4), ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"])
    XCTAssertTrue(names.contains("layer2.0.downsample.0.weight") && names.contains("layer4.2.bn2.bias"))
    XCTAssertEqual(names.last, "layer4.2.bn2.bias")
    XCTAssertEqual(body.namedBuffers().count, 36 * 3, "running_mean, running_var, num_batches_tracked of 36 BatchNorms")
    let shapes = Dictionary(uniqueKeysWithValues: body.namedParameters().map { ($0.0, $0.1.value.shape) })
    XCTAssertEqual(shapes["layer3.0.downsample.0.weight"], [256, 128, 1, 1])
    XCTAssertEqual(shapes["layer4.1.conv2.weight"], [512, 512, 3, 3])
  }

  func testTowersGiveCodesInRange() {
    var g = RandomGenerator(seed: 2)
    let x = g.normal([2, 3, 40, 40])
    for tower in [ResNet.resnet34(bits: 16, width: 8, generator: &g), Compact10.network(bits: 16, width: 8, hidden: 32, generator: &g)] {
      tower.setTraining(false)
      let y = tower.forward(x)
      XCTAssertEqual(y.shape, [2, 16])
      XCTAssertTrue(y.scalars.allSatisfy { abs($0) < 1 })
    }
    let mlp = FeatureMLP.network(inputSize: 20, bits: 8, hidden: [16, 12], generator: &g)
    XCTAssertEqual(mlp.forward(g.normal([3, 20])).shape, [3, 8])
    XCTAssertEqual(mlp.namedParameters().map(\.0), ["fc1.weight", "fc1.bias", "hash.hidden.weight", "hash.hidden.bias", "hash.code.weight", "hash.code.bias"])
  }

  func testInferenceWithFoldedBatchNormsMatchesForward() {
    // `infer` folds every BatchNorm (and ReLU) into the convolution before it, and the residual
    // ReLU into the sum: the same outputs as the layer-by-layer forward, with non-trivial statistics.
    var g = RandomGenerator(seed: 4)
    let x = g.normal([3, 3, 44, 36])
    for tower in [Sequential(named: ResNet.body34(width: 8, generator: &g)), Compact10.network(bits: 16, width: 8, hidden: 32, generator: &g)] {
      for (name, buffer) in tower.namedBuffers() where name.hasSuffix("running_mean") { buffer.value.assign(g.normal(buffer.value.shape, std: 0.2)) }
      for (name, buffer) in tower.namedBuffers() where name.hasSuffix("running_var") {
        buffer.value.assign(Tensor(shape: buffer.value.shape, values: g.normal(buffer.value.shape).scalars.map { 0.5 + abs($0) }))
      }
      for (name, p) in tower.namedParameters() where name.contains("bn") { p.value.assign(g.normal(p.value.shape, std: 0.5)) }
      tower.setTraining(false)
      let expected = tower.forward(x), actual = tower.infer(x)
      XCTAssertEqual(actual.shape, expected.shape)
      let scale = expected.scalars.map(abs).max() ?? 1
      let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThan(worst, 1e-4 * max(1, scale), "largest difference \(worst) of outputs up to \(scale)")
    }
  }

  func testFewStepsFitASmallBatch() {
    var g = RandomGenerator(seed: 3)
    let tower = Compact10.network(bits: 8, width: 8, hidden: 64, generator: &g)
    let x = g.normal([4, 3, 32, 32])
    let target = Tensor(shape: [4, 8], values: (0..<32).map { _ in g.nextUniform() < 0.5 ? -0.9 : 0.9 })
    let optimizer = Adam(groups: [ParameterGroup(tower.namedParameters(), learningRate: 3e-3)])
    var first: Float = 0, last: Float = 0
    for step in 0..<40 {
      let (loss, gradient) = MeanSquaredError.evaluate(tower.forward(x), target)
      if step == 0 { first = loss }
      last = loss
      optimizer.zeroGradients()
      _ = tower.backward(gradient)
      optimizer.step()
    }
    XCTAssertLessThan(last, first * 0.2, "loss \(first) → \(last)")
  }
}
