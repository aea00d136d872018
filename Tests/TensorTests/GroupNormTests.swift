// Tests of GroupNorm, Upsample and the channel operations a U-Net joins them with: values against
// direct formulas, and gradients against finite differences.

import Tensor
import TestSupport
import XCTest

final class GroupNormTests: XCTestCase {
  func testGroupNormNormalisesEachItemsGroups() {
    var g = RandomGenerator(seed: 41)
    let x = g.normal([2, 6, 3, 3], std: 3)
    for i in 0..<x.count { x.data[i] += Float(i % 7) }
    let norm = GroupNorm(groups: 3, channels: 6)
    let y = norm.forward(x)
    for item in 0..<2 {
      for group in 0..<3 {
        let values = (0..<18).map { Double(y.data[item * 54 + group * 18 + $0]) }
        let mean = values.reduce(0, +) / 18
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 18
        XCTAssertEqual(mean, 0, accuracy: 1e-5)
        XCTAssertEqual(variance, 1, accuracy: 1e-3)
      }
    }
  }

  func testGroupNormGradients() {
    var g = RandomGenerator(seed: 42)
    let norm = GroupNorm(groups: 2, channels: 4)
    norm.weight.value.assign(g.normal([4], std: 1))
    norm.bias.value.assign(g.normal([4], std: 1))
    GradientCheck.check(norm, input: g.normal([3, 4, 3, 2], std: 2), step: 1e-2, tolerance: 2e-2, samples: 40)
  }

  func testUpsampleCopiesEachPixelIntoItsBlock() {
    let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
    XCTAssertEqual(Upsample().forward(x).scalars, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    var g = RandomGenerator(seed: 43)
    GradientCheck.check(Upsample(), input: g.normal([2, 3, 3, 2]))
  }

  func testJoiningAndSplittingChannelsAreInverse() {
    var g = RandomGenerator(seed: 44)
    let a = g.normal([2, 3, 2, 2]), b = g.normal([2, 5, 2, 2])
    let joined = Tensor.joiningChannels(a, b)
    XCTAssertEqual(joined.shape, [2, 8, 2, 2])
    XCTAssertEqual(joined.data[1 * 32 + 3 * 4 + 1], b.data[1 * 20 + 0 * 4 + 1])
    let (a2, b2) = joined.splittingChannels(at: 3)
    XCTAssertEqual(a2.scalars, a.scalars)
    XCTAssertEqual(b2.scalars, b.scalars)
  }

  func testPerChannelAdditionAndItsGradient() {
    let x = Tensor(zeros: [2, 2, 1, 3])
    x.addPerChannel(Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
    XCTAssertEqual(x.scalars, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    XCTAssertEqual(x.channelSums().scalars, [3, 6, 9, 12])
  }
}
