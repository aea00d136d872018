// Tests of the distillation loss: finite-difference checks of the contextual KL term (both
// temperatures) and of the first-order term, the KL's value worked by hand, and that it is zero
// exactly when the student scores the context as the teacher does.

import CauchyLoss
import Foundation
import Tensor
import XCTest

final class ContextualSimilarityTests: XCTestCase {
  /// A batch of 3 outputs of 8 bits, their teacher outputs, and contexts of 5 ±1 codes each.
  func example(seed: UInt64) -> (Tensor, Tensor, Tensor) {
    var g = RandomGenerator(seed: seed)
    let u = g.uniform([3, 8], -0.9, 0.9), t = g.uniform([3, 8], -0.9, 0.9)
    let context = g.uniform([3, 5, 8], -1, 1)
    for i in 0..<context.count { context.data[i] = context.data[i] >= 0 ? 1 : -1 }
    return (u, t, context)
  }

  func testContextualGradient() {
    for (student, teacher) in [(Float(0.1), Float(0.1)), (0.05, 0.2)] {
      let (u, t, context) = example(seed: 4)
      let loss = ContextualSimilarity(studentTemperature: student, teacherTemperature: teacher)
      let (_, gradient) = loss.evaluate(u, teacher: t, context: context)
      checkGradient(u, gradient) { loss.evaluate(u, teacher: t, context: context).loss }
    }
  }

  func testFirstOrderGradient() {
    let (u, t, _) = example(seed: 5)
    let (_, gradient) = ContextualSimilarity.firstOrder(u, teacher: t, weight: 0.7)
    checkGradient(u, gradient) { ContextualSimilarity.firstOrder(u, teacher: t, weight: 0.7).loss }
  }

  func testValueByHandAndZeroWhenTheScoresAgree() {
    // One query of 2 bits, context b1 = (1, 1), b2 = (1, −1); student u = (1, 0), teacher t = (0.5, 0.5).
    // s = (0.5, 0.5), r = (0.5, 0): at τ = 1, q = (½, ½), p = softmax(0.5, 0).
    let u = Tensor(shape: [1, 2], values: [1, 0]), t = Tensor(shape: [1, 2], values: [0.5, 0.5])
    let context = Tensor(shape: [1, 2, 2], values: [1, 1, 1, -1])
    let p1 = 1 / (1 + exp(-0.5)), p2 = 1 - p1
    let expected = p1 * log(p1 / 0.5) + p2 * log(p2 / 0.5)
    let loss = ContextualSimilarity(studentTemperature: 1, teacherTemperature: 1)
    XCTAssertEqual(Double(loss.evaluate(u, teacher: t, context: context).loss), expected, accuracy: 1e-6)
    let same = loss.evaluate(t, teacher: t, context: context)
    XCTAssertEqual(same.loss, 0, accuracy: 1e-7)
    XCTAssertTrue(same.gradient.scalars.allSatisfy { abs($0) < 1e-7 })
  }
}
