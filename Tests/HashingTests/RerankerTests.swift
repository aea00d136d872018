import XCTest
@testable import Hashing

final class RerankerTests: XCTestCase {
  /// Items in clusters with many identical codes (16 bits) and, for some, identical stored
  /// outputs: ties at both stages.
  private func sample(count: Int, seed: UInt64) -> (values: [[Float]], codes: BinaryCodes, stored: StoredOutputs) {
    var rng = SeededRandom(seed)
    let centres = (0..<5).map { _ in (0..<16).map { _ in Float(rng.int(2001)) / 1000 - 1 } }
    var values = [[Float]]()
    for i in 0..<count {
      if i % 7 == 6 { values.append(values[i - 3]); continue }  // a copy: same code, same output
      let c = centres[rng.int(5)]
      values.append(c.map { $0 + (Float(rng.int(601)) / 1000 - 0.3) })
    }
    return (values, BinaryCodes(signs: values, bits: 16), StoredOutputs(quantizing: values, dimension: 16))
  }

  /// Query outputs with full-precision values: two different items then never score exactly alike,
  /// so Float and Double sums order them the same way; identical items tie exactly in both.
  private func queries(_ count: Int, seed: UInt64) -> ([[Float]], BinaryCodes) {
    var rng = SeededRandom(seed)
    let values = (0..<count).map { _ in (0..<16).map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) } }
    return (values, BinaryCodes(signs: values, bits: 16))
  }

  func testEachMethodEqualsTheReference() {
    let (values, codes, stored) = sample(count: 400, seed: 3)
    let (queryValues, queries) = queries(12, seed: 9)
    for method in [RerankMethod.none, .asymmetric, .stored, .qe] {
      for candidates in [1, 37, 150, 400] {
        let fast = Reranker.search(queries, outputs: queryValues.flatMap { $0 }, in: codes, stored: stored, k: candidates, method: method,
                                   settings: RerankSettings(candidates: candidates), threads: 2)
        for q in 0..<queries.count {
          let reference = RerankReference.search(queryValues[q], code: queries, q, in: codes, stored: stored, method: method, candidates: candidates)
          XCTAssertEqual(fast[q].map(\.index), reference, "\(method), \(candidates) candidates, query \(q)")
        }
      }
    }
    // Candidates within a radius instead of the nearest N.
    for method in [RerankMethod.none, .stored, .qe] {
      for radius in [0, 3, 6] {
        let fast = Reranker.search(queries, outputs: queryValues.flatMap { $0 }, in: codes, stored: stored, k: 400, method: method,
                                   settings: RerankSettings(radius: radius), threads: 2)
        for q in 0..<queries.count {
          let reference = RerankReference.search(queryValues[q], code: queries, q, in: codes, stored: stored, method: method, candidates: 0, radius: radius)
          XCTAssertEqual(fast[q].map(\.index), reference, "\(method), radius \(radius), query \(q)")
          XCTAssertTrue(fast[q].allSatisfy { $0.distance <= radius })
        }
      }
    }
    _ = values
  }

  func testStoredScoresSeparateIdenticalCodesAndTiesKeepHammingOrder() {
    // Three items with one code; their outputs differ in strength along the query.
    let rows: [[Float]] = [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
                           [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]
    let codes = BinaryCodes(signs: rows, bits: 8), stored = StoredOutputs(quantizing: rows, dimension: 8)
    let query: [Float] = [1, 0, 0, 0, 0, 0, 0, 0]
    let hits = HammingSearch.topK(BinaryCodes(signs: [query.map { $0 == 0 ? 0.1 : $0 }], bits: 8), in: codes, k: 4)[0]
    XCTAssertEqual(hits.map(\.distance), [0, 0, 0, 0])
    let ranked = Reranker.rerank(hits, query: query, codes: codes, outputs: stored, method: .stored)
    XCTAssertEqual(ranked.map(\.index), [1, 2, 3, 0], "strongest along the query first; items 2 and 3 are equal and keep their order")
    XCTAssertEqual(ranked[1].score, ranked[2].score)
    // The asymmetric score cannot tell identical codes apart: the Hamming order stays.
    XCTAssertEqual(Reranker.rerank(hits, query: query, codes: codes, outputs: stored, method: .asymmetric).map(\.index), [0, 1, 2, 3])
  }

  func testCandidateDistancesEqualPlainDotProducts() {
    // The tiled kernel against 2 − 2⟨a, b⟩ one pair at a time, for sizes that fill neither a tile nor a vector.
    for (count, bits) in [(1, 8), (14, 24), (37, 16), (70, 64)] {
      let (values, codes, stored) = sample(count: count, seed: UInt64(count))
      let (queryValues, _) = queries(1, seed: 2)
      var q = queryValues[0].prefix(bits).map { $0 } + [Float](repeating: 0.5, count: max(0, bits - 16))
      OutputVectors.normalise(&q)
      let rows = values.map { Array(($0 + $0 + $0 + $0 + $0).prefix(bits)) }
      let codesOfBits = BinaryCodes(signs: rows, bits: bits), outputs = StoredOutputs(quantizing: rows, dimension: bits)
      let hits = (0..<count).map { SearchHit(index: $0, distance: 0) }
      let candidates = Candidates(hits, codes: codesOfBits, outputs: outputs)
      let d = candidates.distances(with: q)
      let points = [q] + (0..<count).map(candidates.unit)
      XCTAssertEqual(d.count, (count + 1) * (count + 1))
      for i in 0...count {
        for j in 0...count {
          let plain = max(0, 2 - 2 * zip(points[i], points[j]).reduce(Float(0)) { $0 + $1.0 * $1.1 })
          XCTAssertEqual(d[i * (count + 1) + j], plain, accuracy: 1e-5, "\(count) candidates, \(bits) bits, (\(i), \(j))")
        }
      }
      _ = (codes, stored)
    }
  }

  func testQuantisationKeepsDirections() {
    let rows: [[Float]] = [[3, -1.5, 0, 0.75], [0, 0, 0, 0], [.nan, 1, -1, .infinity]]
    let stored = StoredOutputs(quantizing: rows, dimension: 4)
    XCTAssertEqual((0..<4).map { stored.vector(0)[$0] }, [127, -64, 0, 32])
    XCTAssertEqual(stored.unit(1), [0, 0, 0, 0])
    XCTAssertEqual((0..<4).map { stored.vector(2)[$0] }, [0, 127, -127, 0], "NaN and ∞ count as 0")
    let unit = stored.unit(0)
    XCTAssertEqual(unit.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-6)
    XCTAssertEqual(stored.subset([2, 0]).unit(1), unit)
  }

  /// Worked by hand: the query q = 0 and three candidates with distances
  ///        q    a    b    c
  ///   q    0   .1   .5   .9
  ///   a   .1    0   .4   .8
  ///   b   .5   .4    0   .3
  ///   c   .9   .8   .3    0
  /// Rows divided by their largest: q [0, .111, .556, 1], a [.125, 0, .5, 1], b [1, .8, 0, .6], c [1, .889, .333, 0].
  /// k1 = 1: each point's 2 nearest: q {q, a}, a {a, q}, b {b, c}, c {c, b}; all are mutual, so the
  /// reciprocal sets are q, a: {q, a} and b, c: {b, c} (the k1/2 = 0 expansion adds nothing).
  /// Weights exp(−d) normalised: q (.5277, .4723, 0, 0), a (.4688, .5312, 0, 0), b (0, 0, .6457, .3543), c (0, 0, .4174, .5826).
  /// Jaccard with q: a shares min-sum .4688 + .4723 = .9411, distance 1 − .9411 / (2 − .9411) = .1114; b and c share nothing: 1.
  /// λ = .5 mixes in half of q's row: a .0557 + .0556 = .1112, b .5 + .2778 = .7778, c .5 + .5 = 1.
  func testKReciprocalWorkedExample() {
    let d: [Float] = [0, 0.1, 0.5, 0.9, 0.1, 0, 0.4, 0.8, 0.5, 0.4, 0, 0.3, 0.9, 0.8, 0.3, 0]
    let jaccardOnly = KReciprocal.distances(d, count: 4, k1: 1, k2: 1, lambda: 0)
    XCTAssertEqual(jaccardOnly[0], 0.1114, accuracy: 1e-3)
    XCTAssertEqual(jaccardOnly[1], 1, accuracy: 1e-6)
    XCTAssertEqual(jaccardOnly[2], 1, accuracy: 1e-6)
    let mixed = KReciprocal.distances(d, count: 4, k1: 1, k2: 1, lambda: 0.5)
    for (value, expected) in zip(mixed, [0.1112, 0.7778, 1.0] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-3) }
    // Local query expansion with k2 = 2 averages each point with its nearest: q and a become
    // identical, so a's Jaccard distance falls to 0.
    XCTAssertEqual(KReciprocal.distances(d, count: 4, k1: 1, k2: 2, lambda: 0)[0], 0, accuracy: 1e-6)
    XCTAssertEqual(KReciprocal.distances([0], count: 1, k1: 20, k2: 6, lambda: 0.3), [])
  }

  func testKReciprocalKeepsEveryCandidateAndPutsTheQuerysTwinFirst() {
    // The query is item 10's output (item 13 is a copy of it): one of the two ranks first, and
    // every candidate comes back exactly once.
    let (values, codes, stored) = sample(count: 120, seed: 5)
    let query = values[10]
    let hits = HammingSearch.topK(BinaryCodes(signs: [query], bits: 16), in: codes, k: 120)[0]
    let ranked = Reranker.rerank(hits, query: query, codes: codes, outputs: stored, method: .kreciprocal,
                                 settings: RerankSettings(candidates: 120))
    XCTAssertEqual(Set(ranked.map(\.index)), Set(hits.map(\.index)))
    XCTAssertEqual(ranked.count, hits.count)
    XCTAssertTrue([10, 13].contains(ranked.first?.index ?? -1), "\(ranked.prefix(3))")
  }

  func testRerankedMetricsEqualThePlainOnesWithoutRerankingAndDifferWithIt() {
    let (values, codes, stored) = sample(count: 300, seed: 11)
    let (queryValues, queries) = queries(20, seed: 13)
    var rng = SeededRandom(17)
    let labels = { (n: Int) in LabelSets((0..<n).map { _ in (0..<6).filter { _ in rng.int(3) == 0 } }, labelCount: 6) }
    let ql = labels(20), dl = labels(300)
    let options = EvaluationOptions(mapAtK: 50, cutoffs: [10, 50], ndcgAtK: 50)
    let plain = RetrievalMetrics.evaluate(queries: queries, queryLabels: ql, database: codes, databaseLabels: dl, options: options)
    let reference = MetricsReference.evaluate(queries: queries, queryLabels: ql, database: codes, databaseLabels: dl, options: options)
    XCTAssertEqual(plain.wholeMatchAt10, reference.wholeMatchAt10, accuracy: 1e-12)
    // The ranked path with the Hamming order (all candidates, plain order) gives the counting path's figures.
    let ordered = RerankedMetrics.evaluate(queries: queries, queryOutputs: queryValues.flatMap { $0 }, queryLabels: ql, database: codes,
                                           databaseOutputs: stored, databaseLabels: dl, method: .asymmetric,
                                           settings: RerankSettings(candidates: 1), options: options)
    XCTAssertEqual(ordered.map, plain.map, accuracy: 1e-12)
    XCTAssertEqual(ordered.ndcg!, plain.ndcg!, accuracy: 1e-12)
    XCTAssertEqual(ordered.mapAtK!, plain.mapAtK!, accuracy: 1e-12)
    XCTAssertEqual(ordered.precisionAtK, plain.precisionAtK)
    XCTAssertEqual(ordered.wholeMatchAt10, plain.wholeMatchAt10, accuracy: 1e-12)
    // With re-ranking, MAP comes from the re-ranked order, checked against a hand-made ranking.
    let reranked = RerankedMetrics.evaluate(queries: queries, queryOutputs: queryValues.flatMap { $0 }, queryLabels: ql, database: codes,
                                            databaseOutputs: stored, databaseLabels: dl, method: .stored, settings: RerankSettings(candidates: 80), options: options)
    var ap = 0.0
    for q in 0..<queries.count {
      let head = RerankReference.search(queryValues[q], code: queries, q, in: codes, stored: stored, method: .stored, candidates: 80)
      let order = head + SearchReference.ranking(queries, q, in: codes).map(\.index).dropFirst(80)
      ap += MetricsReference.averagePrecision(order.map { ql.shared(q, with: dl, $0) }, depth: order.count)
    }
    XCTAssertEqual(reranked.map, ap / Double(queries.count), accuracy: 1e-9)
    XCTAssertEqual(reranked.precisionWithinRadius, plain.precisionWithinRadius, "radius measures do not depend on the order")
    _ = values
  }
}
