// HammingIndex: a searchable database of codes that picks, per query, between the linear scan
// and multi-index hashing; both are exact and give the same (distance, item) order.

import Dispatch
import Foundation

public final class HammingIndex: @unchecked Sendable {
  public enum Strategy: String, CaseIterable, Sendable {
    /// Multi-index hashing where it pays, otherwise the scan.
    case auto
    /// Always the linear scan.
    case scan
    /// Always multi-index hashing (no fallback).
    case multiIndex = "multi-index"
  }

  public let codes: BinaryCodes
  private var tables: MultiIndexTables?
  private let lock = NSLock()
  /// How many queries of the last search multi-index hashing answered (the rest were scanned).
  public private(set) var lastMultiIndexCount = 0

  public init(_ codes: BinaryCodes) { self.codes = codes }

  /// The multi-index tables, built on first use.
  public var multiIndexTables: MultiIndexTables {
    lock.lock()
    defer { lock.unlock() }
    if let tables { return tables }
    let built = MultiIndexTables(codes)
    tables = built
    return built
  }

  /// Multi-index hashing pays on large databases once its tables exist, or when enough queries
  /// share the cost of building them (about as much as 50 scans).
  private func usesMultiIndex(_ strategy: Strategy, queries: Int) -> Bool {
    switch strategy {
    case .scan: return false
    case .multiIndex: return true
    case .auto: return codes.count >= 50_000 && (tables != nil || queries >= 64)
    }
  }

  /// A query gives up on multi-index hashing once it has touched this many buckets and items.
  private var budget: Int { max(1024, codes.count / 16) }

  public func topK(_ queries: BinaryCodes, k: Int, strategy: Strategy = .auto, threads: Int = HammingSearch.defaultThreads) -> [[SearchHit]] {
    HammingSearch.check(queries, codes)
    precondition(k >= 1, "topK: k must be at least 1, got \(k)")
    guard usesMultiIndex(strategy, queries: queries.count) else {
      lastMultiIndexCount = 0
      return HammingSearch.topK(queries, in: codes, k: k, threads: threads)
    }
    return multiIndex(queries, strategy: strategy, threads: threads,
                      search: { $0.topK($1, k, budget: $2) },
                      scan: { HammingSearch.topK($0, in: self.codes, k: k, threads: threads) })
  }

  /// `topK` with the tie counts of the scan (`HammingSearch.topKCounted`); queries that multi-index
  /// hashing answers come without them (empty `ties`).
  public func topKCounted(_ queries: BinaryCodes, k: Int, strategy: Strategy = .auto, threads: Int = HammingSearch.defaultThreads) -> [HammingSearch.Counted] {
    HammingSearch.check(queries, codes)
    precondition(k >= 1, "topK: k must be at least 1, got \(k)")
    guard usesMultiIndex(strategy, queries: queries.count) else {
      lastMultiIndexCount = 0
      return HammingSearch.topKCounted(queries, in: codes, k: k, threads: threads)
    }
    return topK(queries, k: k, strategy: strategy, threads: threads).map { HammingSearch.Counted(hits: $0, ties: []) }
  }

  public func radius(_ queries: BinaryCodes, radius r: Int, strategy: Strategy = .auto, threads: Int = HammingSearch.defaultThreads) -> [[SearchHit]] {
    HammingSearch.check(queries, codes)
    guard usesMultiIndex(strategy, queries: queries.count) else {
      lastMultiIndexCount = 0
      return HammingSearch.radius(queries, in: codes, radius: r, threads: threads)
    }
    return multiIndex(queries, strategy: strategy, threads: threads,
                      search: { $0.radius($1, r, budget: $2) },
                      scan: { HammingSearch.radius($0, in: self.codes, radius: r, threads: threads) })
  }

  /// Each thread answers its share of the queries with its own searcher; queries that ran over
  /// budget are scanned afterwards, together.
  private func multiIndex(_ queries: BinaryCodes, strategy: Strategy, threads: Int,
                          search: @escaping (MultiIndexSearcher, UnsafePointer<UInt64>, Int) -> [SearchHit]?,
                          scan: (BinaryCodes) -> [[SearchHit]]) -> [[SearchHit]] {
    let tables = multiIndexTables
    let budget = strategy == .multiIndex ? Int.max : self.budget
    var results = [[SearchHit]?](repeating: nil, count: queries.count)
    let workers = max(1, min(threads, queries.count))
    results.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        let searcher = MultiIndexSearcher(tables)
        for q in (queries.count * w / workers)..<(queries.count * (w + 1) / workers) {
          out[q] = search(searcher, queries.words + q * queries.wordsPerCode, budget)
        }
      }
    }
    let missing = results.indices.filter { results[$0] == nil }
    lastMultiIndexCount = queries.count - missing.count
    if !missing.isEmpty {
      for (q, hits) in zip(missing, scan(queries.subset(missing))) { results[q] = hits }
    }
    return results.map { $0! }
  }
}
