// Tests of Dropout: the drop rate, scaling, evaluation mode and gradients with a fixed mask.

import Tensor
import TestSupport
import XCTest

final class DropoutTests: XCTestCase {
  func testRateAndScale() {
    let dropout = Dropout(probability: 0.3, seed: 5)
    let y = dropout.forward(Tensor(repeating: 1, shape: [100, 100]))
    let zeros = y.scalars.filter { $0 == 0 }.count
    XCTAssertEqual(Double(zeros) / 10_000, 0.3, accuracy: 0.02)
    XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
  }

  func testEvaluationIsIdentity() {
    let dropout = Dropout(probability: 0.5, seed: 5)
    dropout.setTraining(false)
    let x = Tensor(shape: [1, 3], values: [1, 2, 3])
    XCTAssertEqual(dropout.forward(x).scalars, [1, 2, 3])
    XCTAssertEqual(dropout.backward(x).scalars, [1, 2, 3])
  }

  func testGradients() {
    var g = RandomGenerator(seed: 51)
    GradientCheck.check(Dropout(probability: 0.4, seed: 9), input: g.normal([5, 8]))
  }
}
