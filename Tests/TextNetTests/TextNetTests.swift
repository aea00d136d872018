// Tests of the text tower: the vocabulary and its bag-of-words rows, and the MLP's gradients on
// dense and sparse input.

import Corpus
import Foundation
import Tensor
import TestSupport
import TextNet
import XCTest

final class TextNetTests: XCTestCase {
  func testVocabularyKeepsFrequentWordsAndCountsUnknownOnes() {
    let texts = ["A red circle on grass", "a red square", "the blue circle", "Red! Red? circle"]
    let v = Vocabulary.build(texts, mode: .sentences, minimumCount: 2, stopWords: Tokenizer.englishStopWords)
    // "red" and "circle" are in three texts each; "blue", "square", "grass" in one.
    XCTAssertEqual(v.words, ["circle", "red"])
    let (rows, coverage) = v.encode(["red red circle", "purple ball", ""])
    XCTAssertEqual(rows.dense().scalars, [1, 1, 0, 0, 0, 0])  // binary: "red" twice counts once
    XCTAssertEqual(coverage.tokens, 5)
    XCTAssertEqual(coverage.unknownTokens, 2)
    XCTAssertEqual(coverage.textsWithoutKnownWords, 2)
    XCTAssertEqual(coverage.unknownExamples, ["purple", "ball"])
  }

  func testCountsModeAndTagsMode() {
    let v = Vocabulary(words: ["sky", "night_sky", "dog"], mode: .tags, binary: false)
    let (rows, coverage) = v.encode(["sky night_sky sky", "Dog"])
    XCTAssertEqual(rows.dense().scalars, [2, 1, 0, 0, 0, 1])
    XCTAssertEqual(coverage.unknownTokens, 0)
  }

  func testVocabularyRoundTripsThroughJSON() throws {
    let v = Vocabulary(words: ["b", "a"], mode: .sentences, stopWords: ["the"], binary: false)
    let decoded = try JSONDecoder().decode(Vocabulary.self, from: JSONEncoder().encode(v))
    XCTAssertEqual(decoded, v)
    XCTAssertEqual(decoded.index(of: "a"), 1)
  }

  /// A query's row takes the mean norm of the training texts' rows, whatever its length; texts
  /// without a known word do not count in the mean, and a vocabulary saved without one (older
  /// models) leaves queries as they are.
  func testQueriesTakeTheNormOfATypicalTrainingText() throws {
    let texts = ["red circle grass", "red square", "blue circle", "nothing known here", "red circle"]
    let v = Vocabulary.build(texts, mode: .sentences, minimumCount: 2)
    XCTAssertEqual(v.words.sorted(), ["circle", "red"])
    // Rows over {circle, red}: 2, 1, 1, (none), 2 known words; binary values.
    let expected = (2.0.squareRoot() + 1 + 1 + 2.0.squareRoot()) / 4
    XCTAssertEqual(Double(try XCTUnwrap(v.queryNorm)), expected, accuracy: 1e-6)
    let tokens = v.tokenizer
    let rows = v.encode(queries: ["red", "red circle", "purple"].map { tokens.tokens($0) })
    XCTAssertEqual(rows.norms[0], Float(expected), accuracy: 1e-6)
    XCTAssertEqual(rows.norms[1], Float(expected), accuracy: 1e-6)
    XCTAssertEqual(rows.norms[2], 0, "a query of unknown words stays empty")
    let plain = v.encode(tokenized: [tokens.tokens("red circle")]).rows
    XCTAssertEqual(Array(rows.columns[rows.rowStarts[1]..<rows.rowStarts[2]]), plain.columns, "the same words, only scaled")
    // The norm is saved with the vocabulary; one saved before it was recorded decodes without it.
    let decoded = try JSONDecoder().decode(Vocabulary.self, from: JSONEncoder().encode(v))
    XCTAssertEqual(decoded, v)
    var old = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(v)) as? [String: Any])
    old["query_norm"] = nil
    let older = try JSONDecoder().decode(Vocabulary.self, from: JSONSerialization.data(withJSONObject: old))
    XCTAssertNil(older.queryNorm)
    XCTAssertEqual(older.encode(queries: [["red"]]).values, [1])
    // A damaged norm is refused, naming the field.
    for bad in [-1.0, 0.0] {
      old["query_norm"] = bad
      XCTAssertThrowsError(try JSONDecoder().decode(Vocabulary.self, from: JSONSerialization.data(withJSONObject: old))) {
        XCTAssertTrue("\($0)".contains("query_norm"), "\($0)")
      }
    }
  }

  func testTowerGradientsOnDenseInput() {
    var g = RandomGenerator(seed: 5)
    let tower = TextTower(inputSize: 9, bits: 4, hidden: [6, 5], generator: &g)
    XCTAssertEqual(tower.namedParameters().map(\.0), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "hash.code.weight", "hash.code.bias"])
    GradientCheck.check(tower, input: GradientCheck.separated([3, 9], gap: 0.07))
  }

  func testSparsePathMatchesDenseAndAccumulatesTheSameGradients() {
    var g = RandomGenerator(seed: 6)
    let dense = TextTower(inputSize: 12, bits: 3, hidden: [8], generator: &g)
    var g2 = RandomGenerator(seed: 6)
    let sparse = TextTower(inputSize: 12, bits: 3, hidden: [8], generator: &g2)
    let rows = SparseRows(columnCount: 12, rows: [[(0, 1), (5, 1)], [(11, 2)], [], [(5, 1), (7, 1), (9, 1)]])
    let a = dense.forward(rows.dense()), b = sparse.forward(sparse: rows)
    assertClose(b, a, tolerance: 1e-5)
    let dy = g.normal([4, 3])
    _ = dense.backward(dy)
    sparse.backwardSparse(dy)
    for ((name, p), (_, q)) in zip(dense.namedParameters(), sparse.namedParameters()) {
      assertClose(q.grad, p.grad, tolerance: 1e-5, name)
    }
  }
}
