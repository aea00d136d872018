// A training-mode BatchNorm reading a convolution's bf16 output in oneDNN's layout and writing
// its input gradient there (BF16ConvolutionBatchNorm.swift), its own output and output gradient
// in either layout, against the BatchNorm on the same values in float32 NCHW. Float32 outputs
// agree to float32 rounding (sums in another order); what is rounded to bf16 on the blocked side
// agrees within half a bf16 step (2⁻⁹ of the value).

import Platform
@testable import Tensor
import XCTest

final class BF16BatchNormTests: XCTestCase {
  override func setUpWithError() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
    guard BF16Activation([1, 16, 1, 1]) != nil else {
      throw XCTSkip("oneDNN's convolutions here prefer another layout than blocks of 16 channels: the layers exchange float32")
    }
  }

  override func tearDown() { _ = try? Precision.configure(nil) }

  /// Values that bf16 holds exactly, so both sides see the same input.
  func bf16Exact(_ t: Tensor) -> Tensor {
    Tensor(shape: t.shape, values: t.scalars.map { Float(bitPattern: $0.bitPattern & 0xffff_0000) })
  }

  func testMatchesTheFloat32Layout() throws {
    var g = RandomGenerator(seed: 41)
    // A plane of 35 positions: two full tiles of 16 and a tail of 3. The output and the gradient
    // go either way: float32 NCHW, or bf16 in oneDNN's layout (to and from a convolution).
    for (relu, ranks, keepsLayout) in [(false, 1.0, false), (true, 1.0, false), (true, 2.0, false), (true, 1.0, true), (false, 2.0, true)] {
      let blocked = BatchNorm(32), plain = BatchNorm(32)
      let gamma = g.uniform([32], 0.5, 1.5), beta = g.normal([32])
      for bn in [blocked, plain] {
        bn.weight.value.assign(gamma)
        bn.bias.value.assign(beta)
        if ranks > 1 { bn.sumAcrossRanks = { $0 = $0.map { ranks * $0 } } }
      }
      let x = bf16Exact(g.normal([3, 32, 5, 7], std: 2)), dy = bf16Exact(g.normal([3, 32, 5, 7]))
      guard let a = BF16Activation.from(x), let dyBlocked = BF16Activation.from(dy) else { return XCTFail("oneDNN converts the input") }
      let label = "relu \(relu), \(Int(ranks)) ranks, \(keepsLayout ? "bf16 in oneDNN's layout" : "float32 NCHW") out and back"
      let y = blocked.forward(blocked: a, relu: relu, keepingLayout: keepsLayout), yPlain = plain.forward(x, relu: relu)
      if case .blocked = y { XCTAssertTrue(keepsLayout, label) } else { XCTAssertFalse(keepsLayout, label) }
      assertClose(y.tensor.scalars, yPlain.scalars, relative: keepsLayout ? 1.0 / 256 : 1e-5, "output, \(label)")
      assertClose(blocked.runningVar.value.scalars, plain.runningVar.value.scalars, relative: 1e-5, "running variance, \(label)")
      let dx = blocked.blockedBackward(keepsLayout ? .blocked(dyBlocked) : .plain(dy)).floats(), dxPlain = plain.backward(dy)
      assertClose(dx.scalars, dxPlain.scalars, relative: 1.0 / 256, "input gradient, \(label)")
      assertClose(blocked.weight.grad.scalars, plain.weight.grad.scalars, relative: 1e-4, "dγ, \(label)")
      assertClose(blocked.bias.grad.scalars, plain.bias.grad.scalars, relative: 1e-4, "dβ, \(label)")
    }
  }

  /// |a − b| within `relative` of |b| (plus as much of the values' RMS, for values near 0).
  func assertClose(_ a: [Float], _ b: [Float], relative: Float, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, label, file: file, line: line)
    let rms = (b.reduce(0) { $0 + $1 * $1 } / Float(max(1, b.count))).squareRoot()
    let worst = zip(a, b).map { abs($0 - $1) - relative * (abs($1) + rms) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, 0, "\(label): off by more than \(relative) of the value", file: file, line: line)
  }
}
