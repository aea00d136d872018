// Tests of ReLU, Tanh and SiLU: values and finite-difference gradients away from ReLU's kink.

import Tensor
import TestSupport
import XCTest

final class ActivationTests: XCTestCase {
  func testReLU() {
    let y = ReLU().forward(Tensor(shape: [1, 4], values: [-2, -0.5, 0.5, 3]))
    XCTAssertEqual(y.scalars, [0, 0, 0.5, 3])
    GradientCheck.check(ReLU(), input: GradientCheck.separated([3, 4, 5]))
  }

  func testTanh() {
    let y = Tanh().forward(Tensor(shape: [1, 2], values: [0, 1]))
    XCTAssertEqual(y.data[1], 0.7615942, accuracy: 1e-6)
    var g = RandomGenerator(seed: 31)
    GradientCheck.check(Tanh(), input: g.normal([4, 6]), step: 1e-2)
  }

  func testSiLU() {
    let y = SiLU().forward(Tensor(shape: [1, 3], values: [0, 1, -2]))
    XCTAssertEqual(y.data[0], 0)
    XCTAssertEqual(y.data[1], 0.7310586, accuracy: 1e-6)
    XCTAssertEqual(y.data[2], -0.2384058, accuracy: 1e-6)
    var g = RandomGenerator(seed: 32)
    GradientCheck.check(SiLU(), input: g.normal([4, 6], std: 2), step: 1e-2)
  }
}
