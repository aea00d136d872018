// Linear in bf16 (oneDNN's matrix products) against its float32 path: the output, the input
// gradient and the weight gradient (added to what the gradient held), with and without gathered
// rows. Tolerance as for the convolutions (BF16ConvolutionTests): each operand is rounded by up
// to 2⁻⁹ of itself and a sum of I independent products is off by about 0.3% of its RMS; asked:
// RMS error within 1% of the reference's RMS, no element off by more than 5% of it.

import CVector
import Platform
import Tensor
import XCTest

final class BF16LinearTests: XCTestCase {
  override func tearDown() { _ = try? Precision.configure(nil) }

  private func configureBF16() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
  }

  /// One forward and backward pass of a fresh layer (same seed) in `precision`, with the weight
  /// gradient starting from `start`: (y, dx, dW).
  private func pass(_ precision: PrecisionRequest, rows: Int, inputs: Int, outputs: Int, gathered: Bool) throws -> (Tensor, Tensor, Tensor) {
    try Precision.configure(precision)
    var weights = RandomGenerator(seed: 7)
    let layer = Linear(inputs, outputs, generator: &weights)
    if gathered { layer.gatherRows = { $0 } }  // one rank: the whole batch is its own rows
    var data = RandomGenerator(seed: 8)
    let x = data.normal([rows, inputs]), dy = data.normal([rows, outputs])
    let start = data.normal([outputs, inputs])
    layer.weight.grad.data.update(from: start.data, count: start.count)
    let y = layer.forward(x)
    return (y, layer.backward(dy), layer.weight.grad)
  }

  func testMatchesTheFloat32Path() throws {
    try configureBF16()
    for (rows, inputs, outputs, gathered) in [(64, 256, 128, false), (33, 512, 96, false), (48, 256, 128, true)] {
      let label = "\(rows) rows, \(inputs) → \(outputs)\(gathered ? ", gathered rows" : "")"
      let reference = try pass(.fp32, rows: rows, inputs: inputs, outputs: outputs, gathered: gathered)
      let bf16 = try pass(.bf16, rows: rows, inputs: inputs, outputs: outputs, gathered: gathered)
      XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
      BF16ConvolutionTests.assertClose(bf16.0, reference.0, "output, \(label)")
      BF16ConvolutionTests.assertClose(bf16.1, reference.1, "input gradient, \(label)")
      BF16ConvolutionTests.assertClose(bf16.2, reference.2, "weight gradient, \(label)")
      XCTAssertNotEqual(bf16.0.scalars, reference.0.scalars, "\(label): the bf16 path ran")
    }
  }

  /// Products too small to pay for a oneDNN call run the float32 path, to the bit.
  func testSmallProductsStayFloat32() throws {
    try configureBF16()
    let reference = try pass(.fp32, rows: 4, inputs: 64, outputs: 32, gathered: false)
    let small = try pass(.bf16, rows: 4, inputs: 64, outputs: 32, gathered: false)
    XCTAssertEqual(small.0.scalars, reference.0.scalars)
    XCTAssertEqual(small.1.scalars, reference.1.scalars)
    XCTAssertEqual(small.2.scalars, reference.2.scalars)
  }

  /// A fixed layer's few-row path (a query) reads the bf16 copy of its weights: the same as
  /// float32 arithmetic on the rounded weights, up to the order of the sums, for every count of
  /// rows and for widths that leave a tail of columns and of weight rows.
  func testFixedWeightsStreamTheirBF16Copy() throws {
    try configureBF16()
    var g = RandomGenerator(seed: 9)
    let (inputs, outputs) = (1_037, 515)
    let layer = Linear(inputs, outputs, bias: true, generator: &g)
    layer.bias!.value.data.update(from: g.normal([outputs]).data, count: outputs)
    var rounded = [UInt16](repeating: 0, count: inputs * outputs)
    cmh_bf16_round(layer.weight.value.data, &rounded, rounded.count)
    let w = rounded.map { Double(Float(bitPattern: UInt32($0) << 16)) }
    layer.fixWeights()
    for rows in [1, 3, 4, 7] {
      let x = g.normal([rows, inputs]), y = layer.infer(x)
      var worst = 0.0, rms = 0.0
      for r in 0..<rows {
        for o in 0..<outputs {
          var sum = Double(layer.bias!.value.data[o])
          for i in 0..<inputs { sum += w[o * inputs + i] * Double(x.data[r * inputs + i]) }
          worst = max(worst, abs(Double(y.data[r * outputs + o]) - sum))
          rms += sum * sum
        }
      }
      rms = (rms / Double(rows * outputs)).squareRoot()
      XCTAssertLessThan(worst, 1e-5 * rms, "\(rows) rows: largest difference \(worst) against an RMS of \(rms)")
    }
    XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
  }

  func testRoundingToBF16() {
    let step: Float = 1 / 256
    let values: [Float] = [1, 1 + 2 * step, 1 + step, 1 + 3 * step, 1 + step / 2, -2.5, .infinity, -.infinity, .greatestFiniteMagnitude]
    var rounded = [UInt16](repeating: 0, count: values.count)
    cmh_bf16_round(values, &rounded, values.count)
    let back = rounded.map { Float(bitPattern: UInt32($0) << 16) }
    // bf16's step at 1 is 2⁻⁷: 1 + 2⁻⁸ is a tie between 1 and 1 + 2⁻⁷, to the even one (1);
    // 1 + 3·2⁻⁸ a tie between 1 + 2⁻⁷ and 1 + 2⁻⁶, to the even one (1 + 2⁻⁶); 1 + 2⁻⁹ rounds down.
    let expected: [Float] = [1, 1 + 2 * step, 1, 1 + 4 * step, 1, -2.5]
    XCTAssertEqual(Array(back[0..<6]), expected)
    XCTAssertEqual(Array(back[6..<8]), [.infinity, -.infinity])
    XCTAssertEqual(back[8], .infinity, "past the largest bf16, rounding to nearest gives infinity")
    var nan = [UInt16](repeating: 0, count: 1)
    cmh_bf16_round([Float.nan], &nan, 1)
    XCTAssertTrue(Float(bitPattern: UInt32(nan[0]) << 16).isNaN)
    cmh_bf16_round([Float(bitPattern: 0x7f80_0001)], &nan, 1)  // a NaN whose payload is in the low bits
    XCTAssertTrue(Float(bitPattern: UInt32(nan[0]) << 16).isNaN)
    // Sixteen lanes at a time round as one number at a time does.
    let many = (0..<4).flatMap { _ in values + [.nan, Float(bitPattern: 0x7f80_0001), -0.0, 3e-39] }
    var together = [UInt16](repeating: 0, count: many.count)
    cmh_bf16_round(many, &together, many.count)
    for (i, value) in many.enumerated() {
      var one: [UInt16] = [0]
      cmh_bf16_round([value], &one, 1)
      XCTAssertEqual(together[i], one[0], "\(value)")
    }
  }

  /// After an optimiser step the layer's next bf16 pass multiplies the copy of its weights the step
  /// wrote (RMSprop, Adam): the same numbers, to the bit, as a twin layer that rounds the same
  /// weights itself; and a whole write of the weights in between (a restore, a load) is seen.
  func testTheBF16CopyAnOptimiserStepWritesIsTheRoundedWeights() throws {
    try configureBF16()
    for adam in [false, true] {
      var g = RandomGenerator(seed: 9)
      let (layer, twin) = (Linear(256, 128, generator: &g), Linear(256, 128, generator: &g))
      let groups = [ParameterGroup(layer.namedParameters(), learningRate: 1e-3)]
      let optimizer: Optimizer = adam ? Adam(groups: groups) : RMSprop(groups: groups)
      let x = g.normal([32, 256])
      let matchTwin = { (label: String) in
        twin.weight.value.assign(layer.weight.value)
        twin.bias!.value.assign(layer.bias!.value)
        XCTAssertEqual(layer.forward(x).scalars, twin.forward(x).scalars, "\(adam ? "Adam" : "RMSprop"): \(label)")
      }
      for step in 1...3 {
        layer.zeroGradients()
        _ = layer.forward(x)
        _ = layer.backward(g.normal([32, 128]))
        optimizer.step()
        matchTwin("after step \(step)")
      }
      layer.zeroGradients()
      _ = layer.forward(x)
      _ = layer.backward(g.normal([32, 128]))
      optimizer.step()
      layer.weight.value.assign(g.normal([128, 256]))
      matchTwin("weights written after the step")
      XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
    }
  }
}
