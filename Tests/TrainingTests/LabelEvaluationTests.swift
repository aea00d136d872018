// Tests of the per-label and conjunctive measures against brute force: every ranking sorted in
// full, each figure from its definition.

import Corpus
import Foundation
import Hashing
import Model
import Tensor
import TextNet
import Training
import XCTest

final class LabelEvaluationTests: XCTestCase {
  /// Random codes of both modalities with random label sets (labels 0..<L, 1-3 a row).
  func codeSet(_ n: Int, bits: Int, labels: Int, seed: UInt64) -> CodeSet {
    var g = RandomGenerator(seed: seed)
    let image = g.normal([n, bits]), text = g.normal([n, bits])
    var sets = [[Int]]()
    for _ in 0..<n { sets.append(Array(Set((0..<(1 + Int(g.nextUniform() * 3))).map { _ in Int(g.nextUniform() * Float(labels)) % labels })).sorted()) }
    return CodeSet(image: BinaryCodes(signs: image.data, count: n, bits: bits), text: BinaryCodes(signs: text.data, count: n, bits: bits),
                   labels: LabelSets(sets, labelCount: labels),
                   imageOutputs: Array(UnsafeBufferPointer(start: image.data, count: n * bits)), textOutputs: Array(UnsafeBufferPointer(start: text.data, count: n * bits)))
  }

  /// AP of a ranking's relevance flags (precision at each relevant item, averaged).
  func averagePrecision(_ relevant: [Bool]) -> Double {
    var hits = 0, sum = 0.0
    for (rank, r) in relevant.enumerated() where r { hits += 1; sum += Double(hits) / Double(rank + 1) }
    return hits == 0 ? 0 : sum / Double(hits)
  }

  func testPerLabelMatchesBruteForce() {
    let labels = 5, q = codeSet(30, bits: 16, labels: labels, seed: 1), r = codeSet(80, bits: 16, labels: labels, seed: 2)
    let names = (0..<labels).map { "l\($0)" }, kinds = ["a", "a", "b", "b", "b"]
    let reports = LabelEvaluation.perLabel(queries: q, retrieval: r, names: names, kinds: kinds)
    for report in reports {
      let fromImage = report.direction == .i2t || report.direction == .i2i, toImage = report.direction == .t2i || report.direction == .i2i
      let queries = fromImage ? q.image : q.text, items = toImage ? r.image : r.text
      var expected = [Double]()
      for l in 0..<labels {
        let holders = (0..<q.labels.count).filter { q.labels.has($0, l) }
        if holders.isEmpty { continue }
        let aps = holders.map { i in averagePrecision(SearchReference.ranking(queries, i, in: items).map { r.labels.has($0.index, l) }) }
        let ap = aps.reduce(0, +) / Double(aps.count)
        let score = report.labels.first { $0.label == l }!
        XCTAssertEqual(score.ap, ap, accuracy: 1e-9, "\(report.direction) label \(l)")
        XCTAssertEqual(score.queries, holders.count)
        expected.append(ap)
      }
      XCTAssertEqual(report.mean, expected.reduce(0, +) / Double(expected.count), accuracy: 1e-9)
      let kindA = report.labels.filter { $0.kind == "a" }.map(\.ap)
      XCTAssertEqual(report.byKind.first { $0.kind == "a" }!.ap, kindA.reduce(0, +) / Double(kindA.count), accuracy: 1e-9)
      XCTAssertEqual(report.worst(1)[0].ap, report.labels.map(\.ap).min()!)
    }
  }

  /// Queries name three labels of distinct kinds (two when an item has two kinds), only labels
  /// the vocabulary knows, and the same seed draws the same queries.
  func testConjunctiveQueriesNameOneLabelOfEachKind() {
    let names = ["circle", "square", "red", "blue", "grass", "unnamed"], kinds = ["shape", "shape", "colour", "colour", "scene", "scene"]
    let items = LabelSets([[0, 1, 2, 4], [1, 3], [0, 5], [2, 3, 4]], labelCount: 6)
    let vocabulary = Vocabulary(words: ["circle", "square", "red", "blue", "grass"], mode: .tags)
    let queries = LabelEvaluation.conjunctiveQueries(items, names: names, kinds: kinds, vocabulary: vocabulary)
    XCTAssertEqual(queries, LabelEvaluation.conjunctiveQueries(items, names: names, kinds: kinds, vocabulary: vocabulary))
    for query in queries {
      XCTAssertEqual(Set(query.labels.map { kinds[$0] }).count, query.labels.count, "\(query)")
      XCTAssertFalse(query.labels.contains(5))
      XCTAssertEqual(query.text, query.labels.map { names[$0] }.joined(separator: " "))
    }
    // Item 2 has one nameable label; item 3 has only colour and scene kinds besides a second colour.
    XCTAssertEqual(queries.count, 3)
    XCTAssertTrue(queries.contains { $0.labels.count == 3 })
  }

  /// The shares of the top 10 against a full sort of the text queries' codes.
  func testConjunctiveSharesMatchBruteForce() throws {
    let names = ["circle", "square", "red", "blue", "grass", "sand"], kinds = ["shape", "shape", "colour", "colour", "scene", "scene"]
    let vocabulary = Vocabulary(words: names, mode: .tags)
    let spec = ModelSpec(bits: 16, architecture: .mlp, inputSize: 32, imageHidden: [8], imageFeatures: 4, text: .words(vocabulary), textHidden: [8], labels: names)
    var g = RandomGenerator(seed: 5)
    let model = CrossModalModel(spec: spec, generator: &g)
    let retrieval = codeSet(60, bits: 16, labels: 6, seed: 9)
    let queries = [ConjunctiveQuery(text: "circle red grass", labels: [0, 2, 4]), ConjunctiveQuery(text: "square blue", labels: [1, 3]),
                   ConjunctiveQuery(text: "square red sand", labels: [1, 2, 5])]
    let reports = LabelEvaluation.conjunctive(queries, model: model, retrieval: retrieval, labelCount: 6, kinds: kinds)
    let outputs = model.textOutputs(TextInputs(rows: vocabulary.encode(queries.map(\.text)).rows, coverage: nil))
    let codes = BinaryCodes(signs: outputs.data, count: queries.count, bits: 16)
    XCTAssertEqual(reports.map(\.direction), [.t2i, .t2t])
    for report in reports {
      let items = report.direction == .t2i ? retrieval.image : retrieval.text
      let tops = queries.indices.map { Array(SearchReference.ranking(codes, $0, in: items).prefix(10)).map(\.index) }
      let all = zip(queries, tops).map { query, top in Double(top.filter { i in query.labels.allSatisfy { retrieval.labels.has(i, $0) } }.count) / 10 }
      XCTAssertEqual(report.allAt10, all.reduce(0, +) / 3, accuracy: 1e-9)
      XCTAssertEqual(report.kindAt10.map(\.kind), ["shape", "colour", "scene"])
      for (kind, share) in report.kindAt10 {
        let asked = zip(queries, tops).compactMap { query, top in
          query.labels.first { kinds[$0] == kind }.map { l in Double(top.filter { retrieval.labels.has($0, l) }.count) / 10 }
        }
        XCTAssertEqual(share, asked.reduce(0, +) / Double(asked.count), accuracy: 1e-9, kind)
      }
    }
  }

  /// A text naming one label: its AP against a full sort of the items by distance to its code
  /// (ties by position), and with every item re-ranked, by the cosine of its output with theirs.
  func testNamedAloneMatchesBruteForce() throws {
    let names = ["circle", "square", "red", "blue", "grass", "two words"], kinds = ["shape", "shape", "colour", "colour", "scene", "scene"]
    let vocabulary = Vocabulary(words: Array(names.prefix(5)), mode: .tags)
    let spec = ModelSpec(bits: 16, architecture: .mlp, inputSize: 32, imageHidden: [8], imageFeatures: 4, text: .words(vocabulary), textHidden: [8], labels: names)
    var g = RandomGenerator(seed: 7)
    let model = CrossModalModel(spec: spec, generator: &g)
    let items = codeSet(80, bits: 16, labels: 6, seed: 3)
    let reports = LabelEvaluation.namedAlone(model: model, names: names, kinds: kinds, items: items)
    XCTAssertEqual(reports.map(\.direction), [.t2i, .t2t])
    let outputs = model.textOutputs(TextInputs(rows: vocabulary.encode(Array(names.prefix(5))).rows, coverage: nil))
    let codes = BinaryCodes(signs: outputs.data, count: 5, bits: 16)
    let named = (0..<5).filter { l in (0..<80).contains { items.labels.has($0, l) } }
    for report in reports {
      XCTAssertEqual(report.labels.map(\.label), named, "a label the vocabulary cannot name, or no item holds, has no score")
      let database = report.direction == .t2i ? items.image : items.text
      for score in report.labels {
        let order = SearchReference.ranking(codes, score.label, in: database).map(\.index)
        XCTAssertEqual(score.ap, MetricsReference.averagePrecision(order.map { items.labels.has($0, score.label) ? 1 : 0 }, depth: 80),
                       accuracy: 1e-9, "\(report.direction) \(score.name)")
      }
      XCTAssertEqual(report.byKind.map(\.kind), ["shape", "colour", "scene"])
    }
    XCTAssertTrue(LabelEvaluation.namedAlone(model: model, names: names.map { $0 + " unknown" }, kinds: kinds, items: items).isEmpty,
                  "no label the vocabulary can name: no report")
    // Re-ranked over every item by the stored outputs' cosine: the order of a full sort by cosine.
    let cosine = LabelEvaluation.namedAlone(model: model, names: names, kinds: kinds, items: items, directions: [.t2i], rerank: .stored,
                                            settings: RerankSettings(candidates: 80))[0]
    let stored = items.stored(.image)!
    for score in cosine.labels {
      let q = Array(outputs.scalars[score.label * 16..<(score.label + 1) * 16])
      let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let cos = (0..<80).map { i in zip(q, stored.unit(i)).reduce(0) { $0 + $1.0 * $1.1 } / norm }
      let order = (0..<80).sorted { (-cos[$0], $0) < (-cos[$1], $1) }
      XCTAssertEqual(score.ap, MetricsReference.averagePrecision(order.map { items.labels.has($0, score.label) ? 1 : 0 }, depth: 80),
                     accuracy: 1e-9, score.name)
    }
  }
}
