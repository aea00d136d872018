// Tests of the label-prediction term: its gradient by finite differences, its value worked by
// hand, and its scale (n / L).

import CauchyLoss
import Foundation
import Tensor
import XCTest

final class LabelPredictionTests: XCTestCase {
  func testGradient() {
    var g = RandomGenerator(seed: 3)
    let z = g.normal([5, 4]), y = g.uniform([5, 4], 0, 1).mapBinary()
    let term = LabelPrediction(weight: 0.5, items: 12)
    let (_, gradient) = term.evaluate(logits: z, labels: y)
    checkGradient(z, gradient) { term.evaluate(logits: z, labels: y).loss }
  }

  /// One row, two labels: μ (n/L)(1/b) [log(1 + e^z₁) − z₁ + log(1 + e^z₂)] with z = (2, −1), y = (1, 0).
  func testValueByHand() {
    let z = Tensor(shape: [1, 2], values: [2, -1]), y = Tensor(shape: [1, 2], values: [1, 0])
    let (loss, gradient) = LabelPrediction(weight: 1, items: 4).evaluate(logits: z, labels: y)
    let expected = 2 * (log(1 + exp(2.0)) - 2 + log(1 + exp(-1.0)))
    XCTAssertEqual(Double(loss), expected, accuracy: 1e-5)
    XCTAssertEqual(gradient.scalars[0], 2 * (1 / (1 + expf(-2)) - 1), accuracy: 1e-6)
    XCTAssertEqual(gradient.scalars[1], 2 / (1 + expf(1)), accuracy: 1e-6)
  }

  /// Large logits neither overflow nor lose the loss.
  func testLargeLogitsStayFinite() {
    let z = Tensor(shape: [1, 2], values: [200, -200]), y = Tensor(shape: [1, 2], values: [0, 1])
    let (loss, gradient) = LabelPrediction(weight: 1, items: 2).evaluate(logits: z, labels: y)
    XCTAssertEqual(loss, 400, accuracy: 1e-3)
    XCTAssertEqual(gradient.scalars, [1, -1])
  }
}
