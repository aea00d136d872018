import Corpus
import Model
import XCTest
@testable import Experiments

/// The paper's figures come only with a corpus of the benchmark's protocol shape.
final class PublishedFiguresTests: XCTestCase {
  func testEachBenchmarkIsRecognisedByItsProtocolShape() {
    XCTAssertEqual(PublishedFigures.matching(pairs: 20_015, labels: 24, queries: 2000)?.benchmark, "MIRFlickr-25K")
    XCTAssertEqual(PublishedFigures.matching(pairs: 20_000, labels: 255, queries: 2000)?.benchmark, "IAPR TC-12")
    let nus = PublishedFigures.matching(pairs: 195_834, labels: 21, queries: 2100)
    XCTAssertEqual(nus?.benchmark, "NUS-WIDE")
    XCTAssertEqual(nus?.map[64]?.i2t, 0.6093)
    XCTAssertEqual(nus?.map[16]?.t2i, 0.6389)
    XCTAssertTrue(nus?.citation.contains("CVPR 2017") ?? false)
  }

  func testAnotherShapeGetsNoFigures() {
    XCTAssertNil(PublishedFigures.matching(pairs: 195_834, labels: 21, queries: 2000))
    XCTAssertNil(PublishedFigures.matching(pairs: 195_834, labels: 81, queries: 2100))
    XCTAssertNil(PublishedFigures.matching(pairs: 20_015, labels: 24, queries: 2100))
    XCTAssertNil(PublishedFigures.matching(pairs: 6000, labels: 24, queries: 600))
  }

  func testNUSWIDEGetsItsProtocolSplitSizes() {
    XCTAssertTrue(Splits.protocolSizes(realPairs: 195_834) == (2100, 10_500))
    XCTAssertTrue(Splits.protocolSizes(realPairs: 195_833) == (5000, 10_000))
    XCTAssertTrue(Splits.protocolSizes(realPairs: 20_015) == (2000, 10_000))
  }
}
