// HammingSearch: exact top-k and radius search by linear scan (the distance kernels are in
// HammingScan). Distances are small integers, so results are kept in one bucket per distance
// behind a falling threshold: no sort, and equal distances stay in item order. Threads split the
// queries, or the database for a single query on a large database.

import Dispatch
import Foundation

/// One result: the item's position in the database and its Hamming distance to the query.
public struct SearchHit: Equatable, Sendable, CustomStringConvertible {
  public let index: Int
  public let distance: Int
  public init(index: Int, distance: Int) { self.index = index; self.distance = distance }
  public var description: String { "\(index)@\(distance)" }
}

/// The hits with distance ≤ threshold seen so far, by distance, each bucket in item order.
struct HitBuckets {
  var buckets: [[Int32]]
  var threshold: Int
  /// Items held in buckets below the threshold (the threshold's own bucket is counted apart).
  private var below = 0
  let limit: Int

  /// Keeps at most the `limit` best hits (limit = .max for radius search, which never lowers the threshold).
  init(bits: Int, threshold: Int, limit: Int) {
    buckets = Array(repeating: [], count: bits + 1)
    self.threshold = threshold
    self.limit = limit
  }

  @inline(__always)
  mutating func add(_ index: Int, _ d: Int) {
    buckets[d].append(Int32(truncatingIfNeeded: index))
    if d < threshold { below += 1 }
    // Once `limit` hits lie strictly below the threshold, nothing at the threshold can make the cut.
    while below >= limit && threshold > 0 {
      buckets[threshold].removeAll(keepingCapacity: true)
      threshold -= 1
      below -= buckets[threshold].count
    }
  }

  /// The best hits of several bucket sets over consecutive item ranges, in (distance, item) order.
  static func merge(_ parts: [HitBuckets], limit: Int) -> [SearchHit] {
    var hits = [SearchHit]()
    guard let first = parts.first else { return hits }
    for d in 0..<first.buckets.count {
      for part in parts where d <= part.threshold {
        for i in part.buckets[d] {
          if hits.count == limit { return hits }
          hits.append(SearchHit(index: Int(i), distance: d))
        }
      }
    }
    return hits
  }
}

/// The raw words of a code matrix, passed into hot loops instead of `BinaryCodes`: copying the
/// struct retains its storage object, and two threads doing that for every stretch of items
/// fought over one cache line and ran no faster than one.
struct CodeView {
  let words: UnsafePointer<UInt64>
  let wordsPerCode: Int
  let bits: Int
  /// For two-word codes being scanned: the first words of all codes, then all the second words
  /// (`BinaryCodes.halves`). Nil when the codes are only in their row layout.
  var halves: (UnsafePointer<UInt64>, UnsafePointer<UInt64>)?
  init(_ codes: BinaryCodes) { words = codes.words; wordsPerCode = codes.wordsPerCode; bits = codes.bits }
}

public enum HammingSearch {
  /// The `k` nearest codes of `database` to each query, nearest first; equal distances in item order.
  public static func topK(_ queries: BinaryCodes, in database: BinaryCodes, k: Int, threads: Int = defaultThreads) -> [[SearchHit]] {
    check(queries, database)
    precondition(k >= 1, "topK: k must be at least 1, got \(k)")
    return search(queries, database, threads: threads) { HitBuckets(bits: database.bits, threshold: database.bits, limit: k) }
  }

  /// Every code of `database` within Hamming distance `radius` of each query, nearest first.
  public static func radius(_ queries: BinaryCodes, in database: BinaryCodes, radius: Int, threads: Int = defaultThreads) -> [[SearchHit]] {
    check(queries, database)
    precondition(radius >= 0, "radius search: negative radius \(radius)")
    return search(queries, database, threads: threads) {
      HitBuckets(bits: database.bits, threshold: min(radius, database.bits), limit: .max)
    }
  }

  /// A single query splits the database over the threads only from this many code words on (12 MB):
  /// a million 128-bit codes scan 1.35x faster on two threads, a million 64-bit codes no faster
  /// (one core nearly drains the cache there, and starting threads costs the rest).
  nonisolated(unsafe) static var singleQuerySplitMinimum = 1_500_000

  public static var defaultThreads: Int { ProcessInfo.processInfo.environment["CMH_THREADS"].flatMap { Int($0) } ?? ProcessInfo.processInfo.activeProcessorCount }

  static func check(_ queries: BinaryCodes, _ database: BinaryCodes) {
    precondition(queries.bits == database.bits, "search: \(queries.bits)-bit queries against a \(database.bits)-bit database")
    precondition(database.count < Int(Int32.max), "search: at most \(Int32.max) database codes")
  }

  /// Queries are split over the threads; a single query splits the database instead.
  private static func search(_ queries: BinaryCodes, _ database: BinaryCodes, threads: Int, make: () -> HitBuckets) -> [[SearchHit]] {
    let workers = max(1, threads)
    let limit = make().limit
    var view = CodeView(database)
    // Two-word codes are split into halves on the first search (one pass over the database) and
    // the split is kept with the codes.
    view.halves = database.halves()
    if queries.count == 1 && workers > 1 && database.count * database.wordsPerCode >= singleQuerySplitMinimum {
      var parts = [HitBuckets](repeating: make(), count: workers)
      let query = queries.words, n = database.count
      parts.withUnsafeMutableBufferPointer { p in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          scan(query, view, (n * w / workers)..<(n * (w + 1) / workers), into: &p[w])
        }
      }
      return [HitBuckets.merge(parts, limit: limit)]
    }
    var results = [[SearchHit]](repeating: [], count: queries.count)
    let template = make(), queryView = CodeView(queries), n = database.count, m = queries.count
    // Exactly `workers` loops: concurrentPerform would otherwise spread more iterations over every core.
    let shares = max(1, min(workers, m))
    results.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: shares) { w in
        scanBlock(queryView, (m * w / shares)..<(m * (w + 1) / shares), view, count: n, template: template, into: out)
      }
    }
    return results
  }

  /// Queries that share each database tile while it is in cache (64 measured fastest: 8 left the
  /// scan reading the database from memory eight times as often).
  static let queryBlock = 64

  /// A block of queries against the database tile by tile, so that each tile is read from memory
  /// once for the whole block and then from cache.
  private static func scanBlock(_ queries: CodeView, _ range: Range<Int>, _ database: CodeView, count: Int, template: HitBuckets,
                                into out: UnsafeMutableBufferPointer<[SearchHit]>) {
    let tile = max(256, 2048 / database.wordsPerCode)  // 16 KB of codes: half the L1 cache
    for blockStart in stride(from: range.lowerBound, to: range.upperBound, by: queryBlock) {
      let block = blockStart..<min(blockStart + queryBlock, range.upperBound)
      var collectors = [HitBuckets](repeating: template, count: block.count)
      for start in stride(from: 0, to: count, by: tile) {
        let items = start..<min(start + tile, count)
        for (j, q) in block.enumerated() {
          scan(queries.words + q * queries.wordsPerCode, database, items, into: &collectors[j])
        }
      }
      for (j, q) in block.enumerated() { out[q] = HitBuckets.merge([collectors[j]], limit: template.limit) }
    }
  }

  @inline(__always)
  static func scan(_ query: UnsafePointer<UInt64>, _ database: CodeView, _ range: Range<Int>, into c: inout HitBuckets) {
    HammingScan.scan(query, database, range, into: &c)
  }
}
