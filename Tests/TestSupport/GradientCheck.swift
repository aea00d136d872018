// GradientCheck: compares a module's backward pass with central finite differences, for the
// input and for every parameter, on the scalar loss L = Σ y·r with a fixed random r.

import Tensor
import XCTest

public enum GradientCheck {
  /// Checks dL/dx and dL/dθ of `module` at `input`.
  ///
  /// - step: the finite-difference step h; the forward runs in Float, so h must be large enough
  ///   that rounding (about 1e-7·|L|/h) stays well under the tolerance.
  /// - tolerance: allowed |analytic − numeric| ≤ tolerance·max(1, |numeric|).
  /// - samples: how many elements of the input and of each parameter are probed.
  public static func check(
    _ module: Module, input: Tensor, step: Float = 1e-2, tolerance: Float = 1e-2, samples: Int = 24,
    checkInput: Bool = true, seed: UInt64 = 7, file: StaticString = #filePath, line: UInt = #line
  ) {
    var generator = RandomGenerator(seed: seed)
    let randomModules = module.namedModules().compactMap { $0.1 as? RandomModule }
    let savedGenerators = randomModules.map(\.generator)
    func restoreRandomness() { for (m, g) in zip(randomModules, savedGenerators) { m.generator = g } }

    restoreRandomness()
    let probe = generator.normal(module.forward(input).shape)
    func loss() -> Double {
      restoreRandomness()
      let y = module.forward(input)
      var s = 0.0
      for i in 0..<y.count { s += Double(y.data[i]) * Double(probe.data[i]) }
      return s
    }

    module.zeroGradients()
    restoreRandomness()
    _ = module.forward(input)
    let dx = module.backward(probe)
    XCTAssertEqual(dx.shape, input.shape, "input gradient shape", file: file, line: line)

    func compare(_ target: Tensor, _ analytic: Tensor, _ what: String) {
      for _ in 0..<min(samples, target.count) {
        let i = generator.nextInt(below: target.count)
        let saved = target.data[i]
        target.data[i] = saved + step
        let plus = loss()
        target.data[i] = saved - step
        let minus = loss()
        target.data[i] = saved
        let numeric = Float((plus - minus) / (2 * Double(step)))
        let error = abs(analytic.data[i] - numeric)
        XCTAssertLessThanOrEqual(error, tolerance * max(1, abs(numeric)),
                                 "\(what)[\(i)]: backward \(analytic.data[i]), finite difference \(numeric)", file: file, line: line)
      }
    }
    if checkInput { compare(input, dx, "dL/dx") }
    for (name, p) in module.namedParameters() { compare(p.value, p.grad.copy(), "dL/d\(name)") }
  }

  /// A tensor whose values are distinct and at least `gap` apart (a shuffled ramp), so that a
  /// finite-difference step cannot reorder them (max pooling) or cross zero (ReLU).
  public static func separated(_ shape: [Int], gap: Float = 0.05, seed: UInt64 = 3) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let order = generator.permutation(count)
    return Tensor(shape: shape, values: order.map { (Float($0) - Float(count) / 2 + 0.5) * gap })
  }
}

/// Asserts two tensors have the same shape and agree within tolerance·max(1, |expected|).
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
  XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
  guard actual.shape == expected.shape else { return }
  var worst: Float = 0, at = 0
  for i in 0..<actual.count {
    let e = abs(actual.data[i] - expected.data[i]) / max(1, abs(expected.data[i]))
    if e > worst { worst = e; at = i }
  }
  XCTAssertLessThanOrEqual(worst, tolerance, "\(message): element \(at) is \(actual.data[at]), expected \(expected.data[at])", file: file, line: line)
}
