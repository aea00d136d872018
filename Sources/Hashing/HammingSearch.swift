// HammingSearch: exact top-k and radius search by linear scan. Distances are small integers, so
// results are kept in one bucket per distance behind a falling threshold: no sort, and equal
// distances stay in item order. Threads split the queries, or the database for a single query.

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
  /// For two-word codes searched by many queries: the first words of all codes, then all the
  /// second words, so that the distance loop reads both halves in straight lines (it vectorises
  /// without shuffles). Nil when the codes are only in their row layout.
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

  /// A single query splits the database over the threads only from this size on: below it, one
  /// scan takes well under a millisecond and starting threads costs more than it saves (measured).
  nonisolated(unsafe) static var singleQuerySplitMinimum = 4_000_000

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
    // Two-word codes are split into halves once for a batch (one pass over the database) and the
    // split is kept with the codes, so later single queries use it too.
    view.halves = database.halves(build: queries.count >= 16)
    if queries.count == 1 && workers > 1 && database.count >= singleQuerySplitMinimum {
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
    let tile = max(1024, 16_384 / database.wordsPerCode)
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

  /// Distances from one query to the items in `range`, fed to the buckets. Distances are computed
  /// for a stretch of items into a byte buffer first (a loop the compiler vectorises), then only
  /// the stretches holding a distance within the threshold are looked at item by item.
  /// Codes longer than 255 bits take a plain loop (their distances do not fit in a byte).
  @inline(__always)
  static func scan(_ query: UnsafePointer<UInt64>, _ database: CodeView, _ range: Range<Int>, into c: inout HitBuckets) {
    guard database.bits <= 255 else {
      for i in range {
        let d = Hamming.distance(query, database.words + i * database.wordsPerCode, database.wordsPerCode)
        if d <= c.threshold { c.add(i, d) }
      }
      return
    }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stretch) { buffer in
      let distances = buffer.baseAddress!
      for start in stride(from: range.lowerBound, to: range.upperBound, by: stretch) {
        let n = min(stretch, range.upperBound - start)
        Distances.compute(query, database, from: start, count: n, into: distances)
        report(distances, n, offset: start, bits: database.bits, into: &c)
      }
    }
  }

  static let stretch = 2048

  /// Feeds the items of a stretch whose distance is within the threshold to the buckets, testing
  /// 32 distances at a time: with every byte b ≤ 128, b + (127 − t) sets a byte's top bit exactly
  /// when b > t, and no carry crosses into the next byte.
  @inline(__always)
  private static func report(_ distances: UnsafeMutablePointer<UInt8>, _ n: Int, offset: Int, bits: Int, into c: inout HitBuckets) {
    var i = 0
    if bits <= 128 {
      let high: UInt64 = 0x8080_8080_8080_8080
      var bias = biasWords(c.threshold)
      while i &+ 32 <= n {
        let p = UnsafeRawPointer(distances + i)
        let a = p.loadUnaligned(as: UInt64.self) &+ bias, b = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) &+ bias
        let e = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self) &+ bias, f = p.loadUnaligned(fromByteOffset: 24, as: UInt64.self) &+ bias
        if c.threshold >= 127 || a & b & e & f & high != high {
          for j in i..<(i &+ 32) where Int(distances[j]) <= c.threshold { c.add(offset &+ j, Int(distances[j])) }
          bias = biasWords(c.threshold)
        }
        i &+= 32
      }
    }
    for j in i..<n where Int(distances[j]) <= c.threshold { c.add(offset + j, Int(distances[j])) }
  }

  /// 127 − t in every byte (0 once t ≥ 127, when every item is looked at anyway).
  @inline(__always)
  private static func biasWords(_ t: Int) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(truncatingIfNeeded: max(0, 127 - t)) }
}

/// Hamming distances of one query to a stretch of codes of at most 255 bits, as bytes.
enum Distances {
  @inline(__always)
  static func compute(_ query: UnsafePointer<UInt64>, _ database: CodeView, from start: Int, count n: Int,
                      into out: UnsafeMutablePointer<UInt8>) {
    let words = database.wordsPerCode, codes = database.words + start * words
    switch words {
    case 1:
      let q0 = query[0]
      for i in 0..<n { out[i] = UInt8(truncatingIfNeeded: (codes[i] ^ q0).nonzeroBitCount) }
    case 2:
      let q0 = query[0], q1 = query[1]
      if let (first, second) = database.halves {
        let a = first + start, b = second + start
        for i in 0..<n { out[i] = UInt8(truncatingIfNeeded: (a[i] ^ q0).nonzeroBitCount &+ (b[i] ^ q1).nonzeroBitCount) }
      } else {
        for i in 0..<n {
          out[i] = UInt8(truncatingIfNeeded: (codes[2 * i] ^ q0).nonzeroBitCount &+ (codes[2 * i + 1] ^ q1).nonzeroBitCount)
        }
      }
    default:
      for i in 0..<n { out[i] = UInt8(truncatingIfNeeded: Hamming.distance(query, codes + i * words, words)) }
    }
  }
}
