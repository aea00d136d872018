// Tests of the generated feature-row corpora of the test bed.

import Corpus
import Foundation
import XCTest

final class FeatureCorpusTests: XCTestCase {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-feature-corpus-\(getpid())")
  override func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func testWikipediaLikeHasOneLabelTopicRowsAndTheBenchmarkSplit() throws {
    let made = try FeatureCorpus.generate(into: folder.appendingPathComponent("w"), settings: FeatureCorpusSettings(kind: .wikipedia))
    let corpus = try Corpus.load(made.directory)
    XCTAssertEqual(corpus.pairs.count, 2866)
    XCTAssertTrue(corpus.pairs.allSatisfy { $0.labels.count == 1 && $0.image == nil })
    XCTAssertEqual(corpus.imageFeatures?.columns, 128)
    XCTAssertEqual(corpus.textFeatures?.columns, 10)
    let splits = try XCTUnwrap(corpus.splits)
    XCTAssertEqual([splits.query.count, splits.retrieval.count, splits.train.count], [693, 2173, 2173])
    for r in 0..<5 { XCTAssertEqual(corpus.textFeatures!.row(r).reduce(0, +), 1, accuracy: 1e-4, "topic proportions sum to 1") }
    let again = try FeatureCorpus.generate(into: folder.appendingPathComponent("w2"), settings: FeatureCorpusSettings(kind: .wikipedia))
    XCTAssertEqual(again.imageFeatures?.values, made.imageFeatures?.values, "the same seed makes the same corpus")
  }

  func testMirflickrLikeHasSeveralLabelsAndSparseTags() throws {
    let corpus = try FeatureCorpus.generate(into: folder.appendingPathComponent("f"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 1000))
    let labelsPerPair = Double(corpus.pairs.map(\.labels.count).reduce(0, +)) / 1000
    XCTAssertTrue((2.5...6).contains(labelsPerPair), "\(labelsPerPair) labels a pair")
    let tags = try XCTUnwrap(corpus.textFeatures)
    XCTAssertEqual(tags.columns, 1386)
    XCTAssertTrue(tags.values.allSatisfy { $0 == 0 || $0 == 1 })
    XCTAssertTrue((0..<1000).allSatisfy { tags.row($0).contains(1) }, "every pair has a tag")
    XCTAssertEqual(corpus.info.textVocabulary?.count, 1386)
    XCTAssertEqual(corpus.splits?.query.count, 100)
  }
}
