// Conv2D in bf16 (oneDNN) against its float32 path: the output, the input gradient and the
// weight gradient on every kind of layer the towers have. Tolerance: bf16 keeps 8 bits of
// mantissa, so each input and weight is rounded by up to 2⁻⁹ of itself and products accumulate in
// float32; an output sums c·k² products whose roundings are independent, so its error is about
// 2⁻⁹·√2 ≈ 0.3% of the outputs' RMS. Asked: RMS error within 1% of the reference's RMS, and no
// element off by more than 5% of it.

import Platform
@testable import Tensor
import XCTest

final class BF16ConvolutionTests: XCTestCase {
  /// (batch, in, out, side, kernel, stride, padding)
  let shapes: [(Int, Int, Int, Int, Int, Int, Int)] = [
    (4, 16, 32, 12, 3, 1, 1),   // a 3×3 layer (Winograd's in float32)
    (3, 32, 16, 9, 3, 2, 1),    // strided 3×3
    (4, 16, 32, 8, 1, 1, 0),    // 1×1 (a direct sgemm in float32)
    (2, 16, 32, 10, 1, 2, 0),   // ResNet's 1×1/2 downsampling
    (2, 3, 16, 31, 7, 2, 3),    // the 7×7/2 stem, without an input gradient
  ]

  override func setUpWithError() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
  }

  override func tearDown() { _ = try? Precision.configure(nil) }

  func testMatchesTheFloat32Path() throws {
    var g = RandomGenerator(seed: 21)
    for (n, c, o, side, k, s, p) in shapes {
      let label = "n\(n) c\(c) o\(o) \(side)² k\(k) s\(s) p\(p)"
      var weights = RandomGenerator(seed: g.next())
      var same = weights
      let layers = [Conv2D(c, o, kernelSize: k, stride: s, padding: p, generator: &weights),
                    Conv2D(c, o, kernelSize: k, stride: s, padding: p, generator: &same)]
      let x = g.normal([n, c, side, side])
      var outputs = [(Tensor, Tensor, Tensor)]()
      for (layer, precision) in zip(layers, [PrecisionRequest.fp32, .bf16]) {
        try Precision.configure(precision)
        layer.computesInputGradient = c != 3
        let y = layer.forward(x)
        var gradients = RandomGenerator(seed: 5)
        let dy = gradients.normal(y.shape)
        outputs.append((y, layer.backward(dy), layer.weight.grad))
      }
      XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
      let (reference, bf16) = (outputs[0], outputs[1])
      Self.assertClose(bf16.0, reference.0, "output, \(label)")
      if c != 3 { Self.assertClose(bf16.1, reference.1, "input gradient, \(label)") }
      Self.assertClose(bf16.2, reference.2, "weight gradient, \(label)")
    }
  }

  /// The backward pass reads the bf16 copy of the input that the forward pass kept, and gives the
  /// same gradients, to the bit, as one that makes the copy again; the weight gradient adds up.
  func testKeptInputGivesTheSameGradients() throws {
    var g = RandomGenerator(seed: 22)
    let layer = Conv2D(16, 32, kernelSize: 3, padding: 1, generator: &g)
    let x = g.normal([3, 16, 10, 10]), dy = g.normal([3, 32, 10, 10])
    _ = layer.forward(x)
    XCTAssertNotNil(layer.keptInput, "the forward pass keeps its bf16 input")
    let dx = layer.backward(dy), dw = layer.weight.grad.scalars
    XCTAssertNil(layer.keptInput, "the backward pass lets the copy go")
    layer.weight.grad.assign(Tensor(zeros: layer.weight.grad.shape))
    XCTAssertEqual(layer.backward(dy).scalars, dx.scalars, "input gradient without the kept copy")
    XCTAssertEqual(layer.weight.grad.scalars, dw, "weight gradient without the kept copy")
    _ = layer.backward(dy)
    XCTAssertEqual(layer.weight.grad.scalars, dw.map { 2 * $0 }, "a second backward pass adds its weight gradient")
    _ = layer.infer(x)
    XCTAssertNil(layer.keptInput, "evaluation keeps nothing")
  }

  static func assertClose(_ a: Tensor, _ b: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, label, file: file, line: line)
    let rms = (b.scalars.reduce(0) { $0 + Double($1) * Double($1) } / Double(b.count)).squareRoot()
    let differences = zip(a.scalars, b.scalars).map { Double($0 - $1) }
    let error = (differences.reduce(0) { $0 + $1 * $1 } / Double(b.count)).squareRoot()
    let worst = differences.map(abs).max() ?? 0
    XCTAssertLessThan(error, 0.01 * rms, "\(label): RMS error \(error) against RMS \(rms)", file: file, line: line)
    XCTAssertLessThan(worst, 0.05 * rms, "\(label): largest error \(worst) against RMS \(rms)", file: file, line: line)
  }
}
