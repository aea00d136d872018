// Tests of Linear: gradients, and the sparse-input path against the dense one.

import Tensor
import TestSupport
import XCTest

final class LinearTests: XCTestCase {
  func testGradients() {
    var g = RandomGenerator(seed: 1)
    let layer = Linear(7, 5, generator: &g)
    GradientCheck.check(layer, input: g.normal([4, 7]))
  }

  func testGradientsWithoutBias() {
    var g = RandomGenerator(seed: 2)
    let layer = Linear(6, 3, bias: false, generator: &g)
    XCTAssertEqual(layer.namedParameters().map(\.0), ["weight"])
    GradientCheck.check(layer, input: g.normal([5, 6]))
  }

  /// `zeroGradients` leaves the old numbers in place: a reader sees zeros, and the next backward
  /// pass writes over them instead of adding (a second pass then adds, as always).
  func testAZeroedGradientIsWrittenOverNotAddedTo() {
    var g = RandomGenerator(seed: 5)
    let layer = Linear(6, 4, generator: &g)
    let (x, dy) = (g.normal([3, 6]), g.normal([3, 4]))
    let pass = { _ = layer.forward(x); _ = layer.backward(dy) }
    pass()
    let once = (layer.weight.grad.scalars, layer.bias!.grad.scalars)
    layer.zeroGradients()
    pass()
    XCTAssertEqual(layer.weight.grad.scalars, once.0)
    XCTAssertEqual(layer.bias!.grad.scalars, once.1)
    pass()
    for (twice, one) in zip(layer.weight.grad.scalars, once.0) { XCTAssertEqual(twice, 2 * one, accuracy: 1e-5) }
    layer.zeroGradients()
    XCTAssertEqual(layer.weight.grad.scalars, [Float](repeating: 0, count: 24))
    XCTAssertEqual(layer.bias!.grad.scalars, [Float](repeating: 0, count: 4))
  }

  /// Outputs fewer and more than a vector of 16: the bias's kernel has a vector loop and a tail.
  func testForwardMatchesDefinition() {
    var g = RandomGenerator(seed: 3)
    for outputs in [2, 37] {
      let layer = Linear(3, outputs, generator: &g)
      let x = g.normal([2, 3]), y = layer.forward(x)
      for r in 0..<2 {
        for o in 0..<outputs {
          var expected = layer.bias!.value.data[o]
          for i in 0..<3 { expected += x.data[r * 3 + i] * layer.weight.value.data[o * 3 + i] }
          XCTAssertEqual(y.data[r * outputs + o], expected, accuracy: 1e-5)
        }
      }
      let dy = g.normal([2, outputs])
      _ = layer.backward(dy)
      for o in 0..<outputs { XCTAssertEqual(layer.bias!.grad.data[o], dy.data[o] + dy.data[outputs + o], accuracy: 1e-6) }
    }
  }

  /// The streaming path of `infer` (a few rows, a large layer) against the definition: widths that
  /// are and are not multiples of the 16-float vectors, outputs that are not multiples of 4.
  func testInferOnFewRowsMatchesTheDefinition() {
    var g = RandomGenerator(seed: 4)
    for (input, output, bias) in [(1030, 258, true), (1024, 1024, false), (515, 1027, true)] {
      let layer = Linear(input, output, bias: bias, generator: &g)
      for rows in [1, 3, 6, 32, 33] {
        let x = g.normal([rows, input]), y = layer.infer(x)
        XCTAssertEqual(y.shape, [rows, output])
        var worst: Float = 0
        for r in 0..<rows {
          for o in 0..<output {
            var expected = Double(layer.bias?.value.data[o] ?? 0)
            for i in 0..<input { expected += Double(x.data[r * input + i]) * Double(layer.weight.value.data[o * input + i]) }
            worst = max(worst, abs(y.data[r * output + o] - Float(expected)))
          }
        }
        XCTAssertLessThan(worst, 1e-4, "\(input)→\(output), \(rows) rows")
      }
    }
  }

  func testSparseInputMatchesDense() {
    var g = RandomGenerator(seed: 4)
    let vocabulary = 50
    let rows: [[(column: Int, value: Float)]] = (0..<9).map { r in
      r == 3 ? [] : (0..<(1 + g.nextInt(below: 6))).map { _ in (g.nextInt(below: vocabulary), Float(1 + g.nextInt(below: 3))) }
    }
    let sparse = SparseRows(columnCount: vocabulary, rows: rows)
    let dense = sparse.dense()
    // 37 outputs: four full groups of eight in the sparse path and a partial one; rows may repeat a column.
    let a = Linear(vocabulary, 37, generator: &g), b = Linear(vocabulary, 37, generator: &g)
    b.weight.value.assign(a.weight.value); b.bias!.value.assign(a.bias!.value)
    let ya = a.forward(sparse: sparse), yb = b.forward(dense)
    assertClose(ya, yb, tolerance: 1e-5, "sparse forward")
    let dy = g.normal(ya.shape)
    a.backwardSparse(dy)
    _ = b.backward(dy)
    assertClose(a.weight.grad, b.weight.grad, tolerance: 1e-5, "sparse weight gradient")
    assertClose(a.bias!.grad, b.bias!.grad, tolerance: 1e-5, "sparse bias gradient")
  }

  func testSparseRowsRoundTrip() {
    let t = Tensor(shape: [2, 4], values: [0, 1.5, 0, 2, 0, 0, 0, 0])
    let s = SparseRows(dense: t)
    XCTAssertEqual(s.rowStarts, [0, 2, 2])
    XCTAssertEqual(s.columns, [1, 3])
    XCTAssertEqual(s.dense().scalars, t.scalars)
  }

  /// Data-parallel Linear: a rank whose rows are gathered with another rank's (here the same rows
  /// twice) takes the weight and bias gradients of the whole batch; its input gradient stays its
  /// own rows'.
  func testGatheredRowsGiveTheWholeBatchsGradient() {
    var g = RandomGenerator(seed: 31)
    let part = Linear(5, 3, generator: &g), whole = Linear(5, 3, generator: &g)
    whole.weight.value.assign(part.weight.value)
    whole.bias!.value.assign(part.bias!.value)
    part.gatherRows = { Tensor(shape: [2 * $0.shape[0], $0.shape[1]], values: $0.scalars + $0.scalars) }
    let x = g.normal([4, 5]), dy = g.normal([4, 3])
    _ = part.forward(x)
    _ = whole.forward(Tensor(shape: [8, 5], values: x.scalars + x.scalars))
    let dx = part.backward(dy), dxWhole = whole.backward(Tensor(shape: [8, 3], values: dy.scalars + dy.scalars))
    XCTAssertEqual(part.weight.grad.scalars, whole.weight.grad.scalars)
    XCTAssertEqual(part.bias!.grad.scalars, whole.bias!.grad.scalars)
    XCTAssertEqual(dx.scalars, Array(dxWhole.scalars[..<20]))
  }
}

