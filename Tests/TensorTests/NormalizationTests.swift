// Tests of BatchNorm: gradients in training and evaluation mode, statistics and running averages.

import Tensor
import TestSupport
import XCTest

final class NormalizationTests: XCTestCase {
  func randomised(_ bn: BatchNorm, _ g: inout RandomGenerator) -> BatchNorm {
    bn.weight.value.assign(g.uniform([bn.channels], 0.5, 1.5))
    bn.bias.value.assign(g.normal([bn.channels]))
    return bn
  }

  func testGradientsTraining2d() {
    var g = RandomGenerator(seed: 21)
    GradientCheck.check(randomised(BatchNorm(3), &g), input: g.normal([4, 3, 5, 5]), step: 1e-2)
  }

  func testGradientsTraining1d() {
    var g = RandomGenerator(seed: 22)
    GradientCheck.check(randomised(BatchNorm(5), &g), input: g.normal([6, 5]))
  }

  func testGradientsEvaluation() {
    var g = RandomGenerator(seed: 23)
    let bn = randomised(BatchNorm(3), &g)
    bn.runningMean.value.assign(g.normal([3]))
    bn.runningVar.value.assign(g.uniform([3], 0.5, 2))
    bn.setTraining(false)
    GradientCheck.check(bn, input: g.normal([2, 3, 4, 4]))
    GradientCheck.check(bn, input: g.normal([2, 3]))
  }

  func testTrainingNormalisesAndUpdatesRunningStatistics() {
    var g = RandomGenerator(seed: 24)
    let bn = BatchNorm(2)
    let x = g.normal([8, 2, 3, 3], std: 3)
    for i in 0..<x.count { x.data[i] += 5 }
    let y = bn.forward(x)
    for c in 0..<2 {
      var values = [Float]()
      for n in 0..<8 { for q in 0..<9 { values.append(y.data[(n * 2 + c) * 9 + q]) } }
      let mean = values.reduce(0, +) / Float(values.count)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
      XCTAssertEqual(mean, 0, accuracy: 1e-5)
      XCTAssertEqual(variance, 1, accuracy: 1e-3)
      var xs = [Double]()
      for n in 0..<8 { for q in 0..<9 { xs.append(Double(x.data[(n * 2 + c) * 9 + q])) } }
      let xm = xs.reduce(0, +) / Double(xs.count)
      let unbiased = xs.reduce(0) { $0 + ($1 - xm) * ($1 - xm) } / Double(xs.count - 1)
      XCTAssertEqual(Double(bn.runningMean.value.data[c]), 0.1 * xm, accuracy: 1e-4)
      XCTAssertEqual(Double(bn.runningVar.value.data[c]), 0.9 + 0.1 * unbiased, accuracy: 1e-3)
    }
    XCTAssertEqual(bn.batchesTracked.value.data[0], 1)
    XCTAssertEqual(bn.namedBuffers().map(\.0), ["running_mean", "running_var", "num_batches_tracked"])
  }

  /// Data-parallel BatchNorm: two ranks holding the same half batch, their sums added (doubled),
  /// normalise and back-propagate as one BatchNorm over the whole batch of both halves.
  func testStatisticsSummedOverRanksAreTheWholeBatchs() {
    var g = RandomGenerator(seed: 25)
    let whole = randomised(BatchNorm(3), &g), half = BatchNorm(3)
    half.weight.value.assign(whole.weight.value)
    half.bias.value.assign(whole.bias.value)
    half.sumAcrossRanks = { $0 = $0.map { 2 * $0 } }
    let x = g.normal([3, 3, 2, 2], std: 2), dy = g.normal([3, 3, 2, 2])
    let both = Tensor(shape: [6, 3, 2, 2], values: x.scalars + x.scalars), dyBoth = Tensor(shape: [6, 3, 2, 2], values: dy.scalars + dy.scalars)
    let (y, yWhole) = (half.forward(x), whole.forward(both))
    let (dx, dxWhole) = (half.backward(dy), whole.backward(dyBoth))
    for i in 0..<x.count {
      XCTAssertEqual(y.data[i], yWhole.data[i], accuracy: 1e-5)
      XCTAssertEqual(dx.data[i], dxWhole.data[i], accuracy: 1e-5)
    }
    for c in 0..<3 {
      // A rank keeps its own part of dγ and dβ (the ranks' parameter gradients are summed later).
      XCTAssertEqual(2 * half.weight.grad.data[c], whole.weight.grad.data[c], accuracy: 1e-4)
      XCTAssertEqual(2 * half.bias.grad.data[c], whole.bias.grad.data[c], accuracy: 1e-4)
      XCTAssertEqual(half.runningVar.value.data[c], whole.runningVar.value.data[c], accuracy: 1e-5)
    }
  }

  /// A Sequential runs BatchNorm · ReLU as one layer: the same outputs, input gradient and
  /// parameter gradients, to the bit, as the two layers run one after the other (each of which
  /// has its finite-difference check; the pair's kink at 0 defeats one of its own).
  func testBatchNormThenReLURunsAsOneLayer() {
    var g = RandomGenerator(seed: 26)
    let fused = randomised(BatchNorm(4), &g), apart = BatchNorm(4), relu = ReLU()
    apart.weight.value.assign(fused.weight.value)
    apart.bias.value.assign(fused.bias.value)
    let x = g.normal([3, 4, 5, 5]), dy = g.normal([3, 4, 5, 5])
    let sequence = Sequential(named: [("bn", fused), ("relu", ReLU())])
    let y = sequence.forward(x), yApart = relu.forward(apart.forward(x))
    XCTAssertEqual(y.scalars, yApart.scalars)
    XCTAssertTrue(y.scalars.contains(0) && y.scalars.contains { $0 > 0 }, "the ReLU clips some outputs and passes others")
    XCTAssertEqual(sequence.backward(dy).scalars, apart.backward(relu.backward(dy)).scalars)
    XCTAssertEqual(fused.weight.grad.scalars, apart.weight.grad.scalars)
    XCTAssertEqual(fused.bias.grad.scalars, apart.bias.grad.scalars)
    XCTAssertEqual(fused.runningMean.value.scalars, apart.runningMean.value.scalars)

    fused.setTraining(false)
    apart.setTraining(false)
    XCTAssertEqual(sequence.forward(x).scalars, relu.forward(apart.forward(x)).scalars, "evaluation mode")
    XCTAssertEqual(sequence.backward(dy).scalars, apart.backward(relu.backward(dy)).scalars, "evaluation mode")
  }
}
