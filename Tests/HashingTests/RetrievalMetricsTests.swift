// Tests of the retrieval metrics: a small example worked by hand, and the counting
// implementation against the sorting reference on random data with many ties.

import Hashing
import XCTest

final class RetrievalMetricsTests: XCTestCase {
  /// One 8-bit query against five items; distances 0, 1, 1, 3, 8 and relevance by labels.
  func handExample() -> (BinaryCodes, LabelSets, BinaryCodes, LabelSets) {
    let query = BinaryCodes(words: [0b0000_0000], bits: 8)
    // Items: distance 1 (irrelevant), 0 (relevant), 3 (relevant, 2 shared labels), 1 (relevant), 8 (irrelevant)
    let items = BinaryCodes(words: [0b0000_0001, 0b0000_0000, 0b0000_0111, 0b1000_0000, 0b1111_1111], bits: 8)
    let queryLabels = LabelSets([[0, 1]], labelCount: 3)
    let itemLabels = LabelSets([[2], [0], [0, 1], [1], []], labelCount: 3)
    return (query, queryLabels, items, itemLabels)
  }

  func testHandWorkedExample() {
    let (q, ql, d, dl) = handExample()
    // Ranking by (distance, item): item1 (d0, rel), item0 (d1, not), item3 (d1, rel), item2 (d3, rel), item4 (d8, not).
    // AP = (1/1 + 2/3 + 3/4) / 3
    let report = RetrievalMetrics.evaluate(queries: q, queryLabels: ql, database: d, databaseLabels: dl,
                                           options: EvaluationOptions(mapAtK: 2, cutoffs: [1, 2, 4], ndcgAtK: 3, radius: 2))
    XCTAssertEqual(report.map, (1 + 2.0 / 3 + 3.0 / 4) / 3, accuracy: 1e-12)
    XCTAssertEqual(report.mapAtK!, 1, accuracy: 1e-12)                    // top 2: one relevant, at rank 1
    XCTAssertEqual(report.precisionAtK, [1, 0.5, 0.75])
    XCTAssertEqual(report.recallAtK[2], 1, accuracy: 1e-12)
    XCTAssertEqual(report.precisionWithinRadius, 2.0 / 3, accuracy: 1e-12) // items at distance ≤ 2: 1, 0, 3
    XCTAssertEqual(report.mapWithinRadius, (1 + 2.0 / 3) / 2, accuracy: 1e-12) // relevant among them at ranks 1 and 3
    // DCG@3 = 1/log2(2) + 0 + 1/log2(4); ideal = 2/log2(2) + 1/log2(3) + 1/log2(4)
    XCTAssertEqual(report.ndcg!, (1 + 0.5) / (2 + 1 / log2(3.0) + 0.5), accuracy: 1e-12)
    XCTAssertEqual(report.curvePrecision[0], 1)
    XCTAssertEqual(report.curveRecall[8], 1)
  }

  func testQueryWithoutRelevantItemsCountsAsZero() {
    let (q, _, d, _) = handExample()
    let report = RetrievalMetrics.evaluate(queries: q, queryLabels: LabelSets([[2]], labelCount: 3), database: d,
                                           databaseLabels: LabelSets([[0], [0], [1], [1], []], labelCount: 3))
    XCTAssertEqual(report.map, 0)
    XCTAssertEqual(report.queriesWithoutRelevant, 1)
  }

  func testCountingMatchesSortingReference() {
    var rng = SeededRandom(77)
    for (bits, labels) in [(8, 5), (16, 24), (64, 24), (128, 80), (300, 3)] {
      let database = randomCodes(600, bits: bits, seed: UInt64(bits), clustered: true)
      let queries = randomCodes(25, bits: bits, seed: UInt64(bits) + 5, clustered: true)
      let randomLabels = { (n: Int) in (0..<n).map { _ in (0..<labels).filter { _ in rng.int(labels) < 2 } } }
      let ql = LabelSets(randomLabels(25), labelCount: labels), dl = LabelSets(randomLabels(600), labelCount: labels)
      let options = EvaluationOptions(mapAtK: 50, cutoffs: [1, 10, 100, 600], ndcgAtK: 20, radius: 2)
      let fast = RetrievalMetrics.evaluate(queries: queries, queryLabels: ql, database: database, databaseLabels: dl, options: options, threads: 3)
      let slow = MetricsReference.evaluate(queries: queries, queryLabels: ql, database: database, databaseLabels: dl, options: options)
      let label = "bits \(bits) labels \(labels)"
      XCTAssertEqual(fast.map, slow.map, accuracy: 1e-12, label)
      XCTAssertEqual(fast.mapAtK!, slow.mapAtK!, accuracy: 1e-12, label)
      XCTAssertEqual(fast.ndcg!, slow.ndcg!, accuracy: 1e-12, label)
      XCTAssertEqual(fast.precisionWithinRadius, slow.precisionWithinRadius, accuracy: 1e-12, label)
      XCTAssertEqual(fast.mapWithinRadius, slow.mapWithinRadius, accuracy: 1e-12, label)
      XCTAssertEqual(fast.queriesWithoutRelevant, slow.queriesWithoutRelevant, label)
      for (a, b) in zip(fast.precisionAtK + fast.recallAtK + fast.curvePrecision + fast.curveRecall,
                        slow.precisionAtK + slow.recallAtK + slow.curvePrecision + slow.curveRecall) {
        XCTAssertEqual(a, b, accuracy: 1e-12, label)
      }
    }
  }
}

final class ChanceMAPTests: XCTestCase {
  /// The closed form of a random ranking's expected AP against the average over every ranking.
  func testExpectedAPMatchesEveryPermutation() {
    func permutations(_ items: [Int]) -> [[Int]] {
      items.count <= 1 ? [items] : items.indices.flatMap { i -> [[Int]] in
        var rest = items
        let first = rest.remove(at: i)
        return permutations(rest).map { [first] + $0 }
      }
    }
    for (n, r) in [(1, 1), (4, 1), (5, 2), (6, 3), (6, 6)] {
      let all = permutations(Array(0..<n))
      let mean = all.map { order -> Double in
        var found = 0, sum = 0.0
        for (rank, item) in order.enumerated() where item < r { found += 1; sum += Double(found) / Double(rank + 1) }
        return sum / Double(r)
      }.reduce(0, +) / Double(all.count)
      XCTAssertEqual(RetrievalMetrics.expectedAP(relevant: r, items: n), mean, accuracy: 1e-12, "n \(n), r \(r)")
    }
    XCTAssertEqual(RetrievalMetrics.expectedAP(relevant: 0, items: 10), 0)
  }

  func testReportCarriesTheChanceLevel() {
    // Two queries over four items: one with two relevant items, one with none (AP 0 either way).
    let pattern: [Float] = [1, 1, -1, 1, 1, -1, -1, -1]
    let codes = BinaryCodes(signs: pattern.flatMap { [Float](repeating: $0, count: 4) }, count: 4, bits: 8)
    let queries = BinaryCodes(signs: [Float](repeating: 1, count: 8) + [Float](repeating: -1, count: 8), count: 2, bits: 8)
    let report = RetrievalMetrics.evaluate(queries: queries, queryLabels: LabelSets([[0], [2]], labelCount: 3),
                                           database: codes, databaseLabels: LabelSets([[0], [1], [0, 1], [1]], labelCount: 3))
    XCTAssertEqual(report.mapChance, RetrievalMetrics.expectedAP(relevant: 2, items: 4) / 2, accuracy: 1e-12)
  }
}
