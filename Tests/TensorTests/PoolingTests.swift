// Tests of MaxPool2d, AvgPool2d and GlobalAvgPool: worked examples and gradients.

import Tensor
import TestSupport
import XCTest

final class PoolingTests: XCTestCase {
  func testMaxPoolExample() {
    let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init))
    XCTAssertEqual(MaxPool2d(kernelSize: 2).forward(x).scalars, [5, 7, 13, 15])
    // 3×3/2 with padding 1, ResNet's stem pool: padding never wins.
    let y = MaxPool2d(kernelSize: 3, stride: 2, padding: 1).forward(Tensor(shape: [1, 1, 4, 4], values: (0..<16).map { -Float($0) - 1 }))
    XCTAssertEqual(y.scalars, [-1, -2, -5, -6])
  }

  func testMaxPoolGradients() {
    GradientCheck.check(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: GradientCheck.separated([2, 3, 7, 7]))
    GradientCheck.check(MaxPool2d(kernelSize: 2), input: GradientCheck.separated([2, 2, 6, 6]))
  }

  func testAvgPoolCountsPadding() {
    let x = Tensor(repeating: 1, shape: [1, 1, 3, 3])
    let y = AvgPool2d(kernelSize: 3, stride: 1, padding: 1).forward(x)
    XCTAssertEqual(y.data[0], 4.0 / 9.0, accuracy: 1e-6)
    XCTAssertEqual(y.data[4], 1, accuracy: 1e-6)
  }

  func testAvgPoolGradients() {
    var g = RandomGenerator(seed: 41)
    GradientCheck.check(AvgPool2d(kernelSize: 3, stride: 2, padding: 1), input: g.normal([2, 3, 7, 7]))
    GradientCheck.check(AvgPool2d(kernelSize: 2), input: g.normal([2, 2, 6, 6]))
  }

  func testGlobalAveragePool() {
    let x = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 10, 10, 10, 10])
    XCTAssertEqual(GlobalAvgPool().forward(x).scalars, [2.5, 10])
    var g = RandomGenerator(seed: 42)
    GradientCheck.check(GlobalAvgPool(), input: g.normal([3, 4, 5, 5]))
  }
}
