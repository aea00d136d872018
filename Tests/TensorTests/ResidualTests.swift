// Tests of Residual and Sequential: names like torchvision's, and gradients through a whole block.

import Tensor
import TestSupport
import XCTest

final class ResidualTests: XCTestCase {
  func basicBlock(_ g: inout RandomGenerator, downsample: Bool) -> Residual {
    let stride = downsample ? 2 : 1, out = downsample ? 6 : 3
    return Residual(
      body: [
        ("conv1", Conv2D(3, out, kernelSize: 3, stride: stride, padding: 1, generator: &g)), ("bn1", BatchNorm(out)),
        ("relu", ReLU()), ("conv2", Conv2D(out, out, kernelSize: 3, padding: 1, generator: &g)), ("bn2", BatchNorm(out)),
      ],
      shortcut: downsample ? ("downsample", Sequential(Conv2D(3, out, kernelSize: 1, stride: 2, generator: &g), BatchNorm(out))) : nil,
      after: ReLU())
  }

  func testNamesFollowTorchvision() {
    var g = RandomGenerator(seed: 61)
    let names = basicBlock(&g, downsample: true).namedParameters(prefix: "layer2.0.").map(\.0)
    XCTAssertEqual(names, [
      "layer2.0.conv1.weight", "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.conv2.weight",
      "layer2.0.bn2.weight", "layer2.0.bn2.bias", "layer2.0.downsample.0.weight",
      "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias",
    ])
  }

  func testGradientsThroughBlocks() {
    var g = RandomGenerator(seed: 62)
    // Evaluation-mode BatchNorm keeps the ReLUs' inputs away from their kink under small steps often
    // enough; training mode is covered by the BatchNorm tests.
    for downsample in [false, true] {
      let block = basicBlock(&g, downsample: downsample)
      block.setTraining(false)
      GradientCheck.check(block, input: g.normal([2, 3, 6, 6]), step: 1e-3, tolerance: 2e-2)
    }
  }

  func testIdentityShortcutAddsInput() {
    let block = Residual(body: [("scale", Flatten())])
    let x = Tensor(shape: [1, 2], values: [1, -2])
    XCTAssertEqual(block.forward(x).scalars, [2, -4])
    XCTAssertEqual(block.backward(Tensor(shape: [1, 2], values: [1, 1])).scalars, [2, 2])
  }
}
