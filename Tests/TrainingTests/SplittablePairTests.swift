// Which layers data-parallel training splits among its ranks by units (DataParallel.shareFirstPairs):
// a network's first two Linear layers with only ReLUs between them — the text tower's fc1 and fc2,
// a feature-row image tower's first layer and the next — and nothing of a convolutional tower or
// of a pair that a Dropout separates.

import ImageNet
import Tensor
import TextNet
import XCTest

final class SplittablePairTests: XCTestCase {
  func testTheFirstPairOfTheMLPTowers() throws {
    var g = RandomGenerator(seed: 1)
    let text = TextTower(inputSize: 50, bits: 16, hidden: [32, 24], generator: &g)
    let (t1, t2) = try XCTUnwrap(text.splittablePair)
    XCTAssertTrue(t1 === text.sparseLayer)
    XCTAssertEqual([t2.inputSize, t2.outputSize], [32, 24], "fc2 follows fc1 past relu1")

    let features = FeatureMLP.network(inputSize: 40, bits: 16, hidden: [32, 24], generator: &g)
    let (f1, f2) = try XCTUnwrap(features.splittablePair)
    XCTAssertEqual([f1.inputSize, f1.outputSize, f2.inputSize, f2.outputSize], [40, 32, 32, 24], "fc1, then the hash head's hidden layer")
    XCTAssertFalse(f1.computesInputGradient, "the feature rows need no gradient")
    XCTAssertTrue(f2.computesInputGradient)

    let narrow = FeatureMLP.network(inputSize: 40, bits: 16, hidden: [32], generator: &g)
    let (n1, n2) = try XCTUnwrap(narrow.splittablePair)
    XCTAssertEqual([n1.outputSize, n2.outputSize], [32, 16], "one hidden layer: it and the code layer")
  }

  func testNoPairInAConvolutionalTowerOrAcrossADropout() {
    var g = RandomGenerator(seed: 2)
    XCTAssertNil(Compact10.network(bits: 16, width: 8, hidden: 64, generator: &g).splittablePair)
    let dropped = Sequential(named: [("a", Linear(8, 6, generator: &g)), ("drop", Dropout(probability: 0.5, seed: 1)), ("b", Linear(6, 4, generator: &g))])
    XCTAssertNil(dropped.splittablePair)
    XCTAssertFalse(dropped.trainsOnWholeBatch)
  }
}
