// HammingSearch: exact top-k and radius search by linear scan (the distance kernels are in
// HammingScan). Distances are small integers, so results are counted per distance behind a
// falling threshold: no sort, and equal distances stay in item order. Threads split the
// queries, or the database for a single query on a large database.

import Dispatch
import Foundation
import Platform

/// One result: the item's position in the database and its Hamming distance to the query.
public struct SearchHit: Equatable, Sendable, CustomStringConvertible {
  public let index: Int
  public let distance: Int
  public init(index: Int, distance: Int) { self.index = index; self.distance = distance }
  public var description: String { "\(index)@\(distance)" }
}

/// The hits seen so far that can still make the cut, as (distance << 32 | item) in the order they
/// came, with a count per distance: adding one is an append and an increment. Distances are small
/// integers, so the threshold follows the counts and the final order is a counting sort.
struct HitCollector {
  private var hits: [UInt64] = []
  private var counts: [Int]
  /// Hits farther than this are out for good (they stay in `hits` until the next compaction).
  private(set) var threshold: Int
  /// The largest distance a later item can still make the cut with: the threshold, or one less once
  /// the threshold's count fills the limit (items come in order, so a later tie loses). −1 when
  /// nothing more can enter.
  private var accept: Int
  /// The largest distance the scan hands over: `accept`, or the threshold when ties are counted.
  private(set) var filter: Int
  /// Whether items tied at a full threshold are still handed over, to be counted: a scan then
  /// meets more hit groups (about a fifth slower on random 64-bit codes), and saves the second
  /// scan a ranked list needs for the size of its last tie group.
  let countsTies: Bool
  /// Hits strictly below the threshold.
  private var below = 0
  let limit: Int

  /// Keeps at most the `limit` best hits (limit = .max for radius search, which never lowers the threshold).
  init(bits: Int, threshold: Int, limit: Int, countsTies: Bool = false) {
    counts = Array(repeating: 0, count: bits + 1)
    self.threshold = threshold
    accept = threshold
    filter = threshold
    self.countsTies = countsTies
    self.limit = limit
    if limit < .max { hits.reserveCapacity(compactionSize) }
  }

  /// Dead entries are dropped when this many have piled up; the live ones never exceed 2 × limit.
  private var compactionSize: Int { 4 * limit + 64 }

  /// Adds item `index` at distance `d` ≤ `filter`; items must come in increasing order. An item
  /// tied at the threshold once that is full is only counted: with `countsTies`, `counts` up to the
  /// threshold stay the number of codes at each distance, the size of each tie group a ranked list shows.
  @inline(__always)
  mutating func add(_ index: Int, _ d: Int) {
    counts[d] += 1
    guard d <= accept else { return }
    hits.append(UInt64(d) << 32 | UInt64(UInt32(truncatingIfNeeded: index)))
    if d < threshold { below += 1 }
    // Once `limit` hits lie strictly below the threshold, nothing at the threshold can make the cut.
    while below >= limit && threshold > 0 {
      counts[threshold] = 0
      threshold -= 1
      below -= counts[threshold]
    }
    accept = below + counts[threshold] >= limit ? threshold - 1 : threshold
    filter = countsTies ? threshold : accept
    if limit < .max && hits.count >= compactionSize { compact() }
  }

  /// With `countsTies`, how many codes of the scanned range lie at each distance 0…threshold; empty
  /// without (the counts at the threshold are then short).
  var ties: ArraySlice<Int> { countsTies && threshold >= 0 ? counts[0...threshold] : [] }

  /// This (still empty) collector with its threshold lowered to `threshold`.
  func starting(at threshold: Int) -> HitCollector {
    precondition(hits.isEmpty, "HitCollector.starting: the collector already holds hits")
    var c = self
    c.threshold = min(threshold, self.threshold)
    c.accept = c.threshold
    c.filter = c.threshold
    return c
  }

  private mutating func compact() {
    let t = UInt64(threshold)
    hits.removeAll { $0 >> 32 > t }
  }

  /// The counts of several collectors over consecutive item ranges, summed up to the lowest of their
  /// thresholds (beyond it, a part did not count).
  static func ties(_ parts: [HitCollector]) -> [Int] {
    guard parts.allSatisfy(\.countsTies), let upTo = parts.map(\.threshold).min(), upTo >= 0 else { return [] }
    return (0...upTo).map { d in parts.reduce(0) { $0 + $1.counts[d] } }
  }

  /// The best hits of several collectors over consecutive item ranges, in (distance, item) order.
  static func merge(_ parts: [HitCollector], limit: Int) -> [SearchHit] {
    guard let first = parts.first else { return [] }
    // A stable counting sort by distance: each part's hits are in item order, the parts in range order.
    var start = [Int](repeating: 0, count: first.counts.count + 1)
    for part in parts { for h in part.hits where Int(h >> 32) <= part.threshold { start[Int(h >> 32) + 1] += 1 } }
    for d in 1..<start.count { start[d] += start[d - 1] }
    let total = start.last!
    var sorted = [SearchHit](repeating: SearchHit(index: 0, distance: 0), count: total)
    for part in parts {
      for h in part.hits where Int(h >> 32) <= part.threshold {
        let d = Int(h >> 32)
        sorted[start[d]] = SearchHit(index: Int(h & 0xFFFF_FFFF), distance: d)
        start[d] += 1
      }
    }
    return total > limit ? Array(sorted.prefix(limit)) : sorted
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
    nearest(queries, in: database, k: k, countingTies: false, threads: threads).map(\.hits)
  }

  /// `topK`, with each query's `ties`: how many codes of the database lie at each distance from 0 up
  /// to at least the farthest hit's (counted by the same scan; what a ranked list shows as tie groups).
  public static func topKCounted(_ queries: BinaryCodes, in database: BinaryCodes, k: Int, threads: Int = defaultThreads) -> [Counted] {
    nearest(queries, in: database, k: k, countingTies: true, threads: threads)
  }

  private static func nearest(_ queries: BinaryCodes, in database: BinaryCodes, k: Int, countingTies: Bool, threads: Int) -> [Counted] {
    check(queries, database)
    precondition(k >= 1, "topK: k must be at least 1, got \(k)")
    let full = { HitCollector(bits: database.bits, threshold: database.bits, limit: k, countsTies: countingTies) }
    guard k >= 256 && database.count >= 64 * k else { return search(queries, database, threads: threads, make: full) }
    // A deep search (a re-ranking's candidates) starts from a threshold estimated on a sample; a
    // query that finds fewer than k codes within it is searched again from the top.
    let thresholds = (0..<queries.count).map { estimatedThreshold(queries.words + $0 * queries.wordsPerCode, database, k: k) }
    var results = search(queries, database, threads: threads, thresholds: thresholds, make: full)
    let short = results.indices.filter { results[$0].hits.count < k }
    if !short.isEmpty {
      for (q, hits) in zip(short, search(queries.subset(short), database, threads: threads, make: full)) { results[q] = hits }
    }
    return results
  }

  /// Codes sampled for a deep search's starting threshold: 64 runs of 256 codes, evenly spaced.
  static let sampleRuns = 64, sampleRun = 256

  /// The distance within which about 1.5 k of the database's codes should lie, judged from a
  /// sample: at that threshold a full scan collects only the hits it keeps.
  static func estimatedThreshold(_ query: UnsafePointer<UInt64>, _ database: BinaryCodes, k: Int) -> Int {
    let n = database.count, words = database.wordsPerCode, sampled = sampleRuns * sampleRun
    var histogram = [Int](repeating: 0, count: database.bits + 1)
    for run in 0..<sampleRuns {
      let start = (n - sampleRun) / (sampleRuns - 1) * run
      for i in start..<(start + sampleRun) { histogram[Hamming.distance(query, database.words + i * words, words)] += 1 }
    }
    let wanted = (3 * k * sampled / (2 * n)) + 2
    var seen = 0
    for (d, count) in histogram.enumerated() {
      seen += count
      if seen >= wanted { return d }
    }
    return database.bits
  }

  /// Every code of `database` within Hamming distance `radius` of each query, nearest first.
  public static func radius(_ queries: BinaryCodes, in database: BinaryCodes, radius: Int, threads: Int = defaultThreads) -> [[SearchHit]] {
    check(queries, database)
    precondition(radius >= 0, "radius search: negative radius \(radius)")
    return search(queries, database, threads: threads) {
      HitCollector(bits: database.bits, threshold: min(radius, database.bits), limit: .max)
    }.map(\.hits)
  }

  /// A query's hits and the number of codes at each distance 0…ties.count − 1.
  public struct Counted: Sendable {
    public let hits: [SearchHit]
    public let ties: [Int]
  }

  /// How many codes of `database` lie at each distance 0…`maxDistance` from query `q`: the size of
  /// each tie group a ranked list shows (equal distances rank by item position).
  public static func distanceCounts(_ queries: BinaryCodes, _ q: Int, in database: BinaryCodes, upTo maxDistance: Int,
                                    threads: Int = defaultThreads) -> [Int] {
    check(queries, database)
    precondition(maxDistance >= 0, "distanceCounts: negative distance \(maxDistance)")
    // The radius scan's hits, counted: the scan skips far codes a block at a time, which a server
    // pays on every search (a million 64-bit codes: about 0.1 ms).
    var counts = [Int](repeating: 0, count: min(maxDistance, database.bits) + 1)
    for hit in radius(queries.subset([q]), in: database, radius: counts.count - 1, threads: threads)[0] { counts[hit.distance] += 1 }
    return counts
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
  /// `thresholds`, when given, start each query's collector lower than `make`'s.
  private static func search(_ queries: BinaryCodes, _ database: BinaryCodes, threads: Int, thresholds: [Int]? = nil,
                             make: () -> HitCollector) -> [Counted] {
    let workers = max(1, threads)
    let limit = make().limit
    var view = CodeView(database)
    // Two-word codes are split into halves on the first search (one pass over the database) and
    // the split is kept with the codes.
    view.halves = database.halves()
    if queries.count == 1 && workers > 1 && database.count * database.wordsPerCode >= singleQuerySplitMinimum {
      var parts = [HitCollector](repeating: thresholds.map { make().starting(at: $0[0]) } ?? make(), count: workers)
      let query = queries.words, n = database.count
      parts.withUnsafeMutableBufferPointer { p in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          scan(query, view, (n * w / workers)..<(n * (w + 1) / workers), into: &p[w])
        }
      }
      return [Counted(hits: HitCollector.merge(parts, limit: limit), ties: HitCollector.ties(parts))]
    }
    var results = [Counted](repeating: Counted(hits: [], ties: []), count: queries.count)
    let template = make(), queryView = CodeView(queries), n = database.count, m = queries.count
    // Exactly `workers` loops: concurrentPerform would otherwise spread more iterations over every core.
    let shares = max(1, min(workers, m))
    results.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: shares) { w in
        scanBlock(queryView, (m * w / shares)..<(m * (w + 1) / shares), view, count: n, template: template, thresholds: thresholds, into: out)
      }
    }
    return results
  }

  /// Queries that share each database tile while it is in cache (64 measured fastest: 8 left the
  /// scan reading the database from memory eight times as often).
  static let queryBlock = 64

  /// A block of queries against the database tile by tile, so that each tile is read from memory
  /// once for the whole block and then from cache.
  private static func scanBlock(_ queries: CodeView, _ range: Range<Int>, _ database: CodeView, count: Int, template: HitCollector,
                                thresholds: [Int]?, into out: UnsafeMutableBufferPointer<Counted>) {
    let tile = max(256, 2048 / database.wordsPerCode)  // 16 KB of codes: half the L1 cache
    for blockStart in stride(from: range.lowerBound, to: range.upperBound, by: queryBlock) {
      let block = blockStart..<min(blockStart + queryBlock, range.upperBound)
      var collectors = block.map { q in thresholds.map { template.starting(at: $0[q]) } ?? template }
      for start in stride(from: 0, to: count, by: tile) {
        let items = start..<min(start + tile, count)
        for (j, q) in block.enumerated() {
          scan(queries.words + q * queries.wordsPerCode, database, items, into: &collectors[j])
        }
      }
      for (j, q) in block.enumerated() { out[q] = Counted(hits: HitCollector.merge([collectors[j]], limit: template.limit), ties: Array(collectors[j].ties)) }
    }
  }

  @inline(__always)
  static func scan(_ query: UnsafePointer<UInt64>, _ database: CodeView, _ range: Range<Int>, into c: inout HitCollector) {
    HammingScan.scan(query, database, range, into: &c)
  }
}
