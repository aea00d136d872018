// Tests of the engine's losses: values on worked examples and gradients by finite differences.

import Tensor
import XCTest

final class LossTests: XCTestCase {
  func numericGradient(_ x: Tensor, _ f: (Tensor) -> Float, at i: Int, h: Float = 1e-3) -> Float {
    let saved = x.data[i]
    x.data[i] = saved + h; let plus = f(x)
    x.data[i] = saved - h; let minus = f(x)
    x.data[i] = saved
    return (plus - minus) / (2 * h)
  }

  func testMeanSquaredError() {
    let p = Tensor(shape: [2], values: [1, 3]), t = Tensor(shape: [2], values: [0, 1])
    let (loss, gradient) = MeanSquaredError.evaluate(p, t)
    XCTAssertEqual(loss, 2.5)
    XCTAssertEqual(gradient.scalars, [1, 2])
  }

  func testSoftmaxCrossEntropy() {
    let logits = Tensor(shape: [2, 3], values: [0, 0, 0, 2, 1, -1])
    let labels = [1, 0]
    let (loss, gradient) = SoftmaxCrossEntropy.evaluate(logits, labels: labels)
    let second = -log(exp(2.0) / (exp(2.0) + exp(1.0) + exp(-1.0)))
    XCTAssertEqual(Double(loss), (log(3.0) + second) / 2, accuracy: 1e-5)
    for i in 0..<logits.count {
      let numeric = numericGradient(logits, { SoftmaxCrossEntropy.evaluate($0, labels: labels).loss }, at: i)
      XCTAssertEqual(gradient.data[i], numeric, accuracy: 1e-3)
    }
    XCTAssertEqual(SoftmaxCrossEntropy.accuracy(logits, labels: labels), 0.5)
  }
}
