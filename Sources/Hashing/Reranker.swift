// Reranker: the second stage of a search. The Hamming scan gives the nearest codes (candidates);
// they are ordered again by a score that can tell identical codes apart: the cosine between the
// query's real-valued output and each item's stored output, or the asymmetric score ⟨f(q), b⟩,
// average query expansion, or k-reciprocal neighbours. Equal scores keep the Hamming order
// (distance, then item position).

import Dispatch
import Foundation

public enum RerankMethod: String, CaseIterable, Sendable, CustomStringConvertible {
  /// Plain Hamming ranking.
  case none
  /// ⟨f(q), b⟩ / (‖f(q)‖ √k): needs only the codes.
  case asymmetric
  /// The cosine of f(q) and each item's stored output.
  case stored
  /// Average query expansion: the query plus its best items' vectors, scored again.
  case qe
  /// k-reciprocal neighbours among the query and its candidates (Zhong et al., CVPR 2017).
  case kreciprocal

  public var description: String { rawValue }

  /// Whether the method reads the items' stored outputs (qe and kreciprocal use them when present,
  /// codes otherwise).
  public var needsStoredOutputs: Bool { self == .stored }
}

public struct RerankSettings: Sendable, Equatable {
  /// Candidates the Hamming scan hands to the re-ranking.
  public var candidates = 1000
  /// When set, the candidates are every code within this Hamming radius instead (any number).
  public var radius: Int?
  /// Query expansion: how many of the best items join the query.
  public var expansion = 5
  /// k-reciprocal: neighbourhood size, query-expansion size and the weight of the original distance.
  public var k1 = 20, k2 = 6
  public var lambda: Float = 0.3

  public init(candidates: Int = 1000, radius: Int? = nil) { self.candidates = candidates; self.radius = radius }

  /// What the scan hands over, in words.
  public var describedCandidates: String { radius.map { "codes within distance \($0)" } ?? "\(candidates) nearest codes" }
}

/// One re-ranked result; higher scores rank first.
public struct RankedHit: Equatable, Sendable {
  public let index: Int
  public let distance: Int
  public let score: Float
  public init(index: Int, distance: Int, score: Float) { self.index = index; self.distance = distance; self.score = score }
}

public enum Reranker {
  /// Orders `hits` (nearest codes first, equal distances in item order) for a query whose
  /// real-valued output is `query`. `outputs` are the items' stored outputs, when the index has them.
  public static func rerank(_ hits: [SearchHit], query: [Float], codes: BinaryCodes, outputs: StoredOutputs?,
                            method: RerankMethod, settings: RerankSettings = RerankSettings()) -> [RankedHit] {
    precondition(query.count == codes.bits, "rerank: a query output of \(query.count) values for \(codes.bits)-bit codes")
    precondition(outputs == nil || outputs!.count == codes.count, "rerank: \(outputs!.count) stored outputs for \(codes.count) codes")
    precondition(!method.needsStoredOutputs || outputs != nil, "rerank: \(method) needs stored outputs")
    guard method != .none else { return hits.map { RankedHit(index: $0.index, distance: $0.distance, score: Float(-$0.distance)) } }
    var q = query
    OutputVectors.normalise(&q)
    let candidates = Candidates(hits, codes: codes, outputs: method == .asymmetric ? nil : outputs)
    let scores: [Float]
    switch method {
    case .none, .asymmetric, .stored: scores = candidates.cosines(q)
    case .qe: scores = expanded(q, candidates, count: settings.expansion)
    case .kreciprocal:
      scores = KReciprocal.distances(candidates.distances(with: q), count: hits.count + 1, k1: settings.k1, k2: settings.k2, lambda: settings.lambda).map { -$0 }
    }
    return ordered(hits, scores)
  }

  /// The two-stage search for a batch: each query's `settings.candidates` nearest codes, re-ranked,
  /// the best `k` kept. Queries are split over the threads for the re-ranking as for the scan.
  public static func search(_ queries: BinaryCodes, outputs: [Float], in database: BinaryCodes, stored: StoredOutputs?, k: Int,
                            method: RerankMethod, settings: RerankSettings = RerankSettings(), threads: Int = HammingSearch.defaultThreads) -> [[RankedHit]] {
    precondition(outputs.count == queries.count * queries.bits, "rerank search: \(outputs.count) output values for \(queries.count) \(queries.bits)-bit queries")
    guard queries.count > 0, database.count > 0 else { return Array(repeating: [], count: queries.count) }
    let wanted = min(k, database.count), bits = queries.bits
    let candidates = Self.candidates(wanted: wanted, count: database.count, method: method, settings: settings,
                                     topK: { HammingSearch.topK(queries, in: database, k: $0, threads: threads) },
                                     radius: { HammingSearch.radius(queries, in: database, radius: $0, threads: threads) })
    var results = [[RankedHit]](repeating: [], count: queries.count)
    let workers = max(1, min(threads, queries.count))
    results.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for q in (queries.count * w / workers)..<(queries.count * (w + 1) / workers) {
          let ranked = rerank(candidates[q], query: Array(outputs[q * bits..<(q + 1) * bits]), codes: database, outputs: stored, method: method, settings: settings)
          out[q] = Array(ranked.prefix(wanted))
        }
      }
    }
    return results
  }

  /// The first stage: every code within `settings.radius` when it is set, else the nearest
  /// `settings.candidates` (at least `wanted`); without re-ranking, the `wanted` nearest.
  public static func candidates(wanted: Int, count: Int, method: RerankMethod, settings: RerankSettings,
                                topK: (Int) -> [[SearchHit]], radius: (Int) -> [[SearchHit]]) -> [[SearchHit]] {
    if let r = settings.radius { return radius(r) }
    return topK(method == .none ? wanted : min(max(wanted, settings.candidates), count))
  }

  /// Average query expansion: the query plus the unit vectors of its `count` best items, normalised, scores every candidate again.
  static func expanded(_ q: [Float], _ candidates: Candidates, count: Int) -> [Float] {
    var expandedQuery = q
    for r in order(candidates.cosines(q)).prefix(count) {
      for (j, x) in candidates.unit(r).enumerated() { expandedQuery[j] += x }
    }
    OutputVectors.normalise(&expandedQuery)
    return candidates.cosines(expandedQuery)
  }

  /// Hits by score, highest first; equal scores keep the hits' order.
  static func ordered(_ hits: [SearchHit], _ scores: [Float]) -> [RankedHit] {
    order(scores).map { RankedHit(index: hits[$0].index, distance: hits[$0].distance, score: scores[$0]) }
  }

  /// Positions by score, highest first, equal scores by position: one sort of 64-bit keys (the
  /// score's bits made to order as integers, then the position).
  static func order(_ scores: [Float]) -> [Int] {
    var keys = scores.enumerated().map { r, score -> UInt64 in
      let bits = (score.isNaN ? -Float.infinity : score == 0 ? 0 : score).bitPattern
      let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
      return UInt64(~ascending) << 32 | UInt64(r)
    }
    keys.sort()
    return keys.map { Int($0 & 0xFFFF_FFFF) }
  }
}
