// FiniteDifferences: the gradient check every loss term of this target is held to.

import Tensor
import XCTest

extension XCTestCase {
  /// Central differences of f at every element of u, compared with the analytic gradient.
  func checkGradient(_ u: Tensor, _ gradient: Tensor, step: Float = 1e-3, tolerance: Float = 2e-3,
                     _ f: () -> Float, file: StaticString = #filePath, line: UInt = #line) {
    for i in 0..<u.count {
      let saved = u.data[i]
      u.data[i] = saved + step; let plus = Double(f())
      u.data[i] = saved - step; let minus = Double(f())
      u.data[i] = saved
      let numeric = Float((plus - minus) / (2 * Double(step)))
      XCTAssertLessThanOrEqual(abs(numeric - gradient.data[i]), tolerance * max(1, abs(numeric)),
                               "element \(i): analytic \(gradient.data[i]), numeric \(numeric)", file: file, line: line)
    }
  }
}
