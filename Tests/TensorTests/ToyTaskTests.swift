// The engine's end-to-end check: a small CNN learns the generated task to high accuracy in seconds.

import Tensor
import TestSupport
import XCTest

final class ToyTaskTests: XCTestCase {
  func testNetworkLearnsBarsAndCrosses() {
    var g = RandomGenerator(seed: 1)
    let data = ToyTask.generate(count: 1000, generator: &g)
    let heldOut = ToyTask.generate(count: 300, generator: &g)
    let model = ToyTask.network(generator: &g)
    let optimizer = Adam(groups: [ParameterGroup(model.namedParameters(), learningRate: 3e-3)])
    model.setTraining(false)
    let before = SoftmaxCrossEntropy.accuracy(model.forward(heldOut.images), labels: heldOut.labels)
    model.setTraining(true)
    for _ in 0..<3 {
      let order = g.permutation(1000)
      for start in stride(from: 0, to: 1000, by: 32) {
        let rows = order[start..<min(start + 32, 1000)]
        let logits = model.forward(ToyTask.gather(data.images, rows))
        let (_, gradient) = SoftmaxCrossEntropy.evaluate(logits, labels: rows.map { data.labels[$0] })
        optimizer.zeroGradients()
        _ = model.backward(gradient)
        optimizer.step()
      }
    }
    model.setTraining(false)
    let after = SoftmaxCrossEntropy.accuracy(model.forward(heldOut.images), labels: heldOut.labels)
    XCTAssertLessThan(before, 0.5, "the untrained network should be near chance (0.25)")
    XCTAssertGreaterThan(after, 0.95, "held-out accuracy after three epochs")
  }
}
