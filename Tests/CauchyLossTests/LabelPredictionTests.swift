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

  /// With balance P each label's column of the gradient is the plain one times (ℓ_l / mean ℓ)^P,
  /// ℓ_l the label's loss summed by hand; the loss is the weighted sum. Weights are constants, so
  /// the gradient is that of the weighted loss with the weights held fixed.
  func testBalanceWeighsEachLabelByItsShareOfTheLoss() {
    var g = RandomGenerator(seed: 5)
    let z = g.normal([6, 3]), y = g.uniform([6, 3], 0, 1).mapBinary()
    let plain = LabelPrediction(weight: 1, items: 3), balanced = LabelPrediction(weight: 1, items: 3, balance: 2)
    var losses = [Double](repeating: 0, count: 3)
    for i in 0..<18 { losses[i % 3] += log(1 + exp(Double(z.scalars[i]))) - Double(y.scalars[i] * z.scalars[i]) }
    let mean = losses.reduce(0, +) / 3, w = losses.map { pow($0 / mean, 2) }
    let (loss, gradient) = balanced.evaluate(logits: z, labels: y)
    let (_, plainGradient) = plain.evaluate(logits: z, labels: y)
    XCTAssertEqual(Double(loss), zip(losses, w).map(*).reduce(0, +) / 6, accuracy: 1e-4)
    for i in 0..<18 { XCTAssertEqual(Double(gradient.scalars[i]), Double(plainGradient.scalars[i]) * w[i % 3], accuracy: 1e-6) }
    XCTAssertNotEqual(w[0], w[1], accuracy: 1e-3, "the labels' losses differ, so must their weights")
    XCTAssertEqual(balanced.weights([0, 0]), [1, 1])
  }

  /// Large logits neither overflow nor lose the loss.
  func testLargeLogitsStayFinite() {
    let z = Tensor(shape: [1, 2], values: [200, -200]), y = Tensor(shape: [1, 2], values: [0, 1])
    let (loss, gradient) = LabelPrediction(weight: 1, items: 2).evaluate(logits: z, labels: y)
    XCTAssertEqual(loss, 400, accuracy: 1e-3)
    XCTAssertEqual(gradient.scalars, [1, -1])
  }
}
