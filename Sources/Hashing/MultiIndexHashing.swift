// MultiIndexHashing: exact k-NN and radius search in sublinear time (Norouzi, Punjani & Fleet,
// "Fast Exact Search in Hamming Space with Multi-Index Hashing"). Codes are cut into m substrings
// of at most 16 bits, each indexed in a table; if two codes are within distance r, some
// substring pair is within ⌊r/m⌋, so probing every table around the query's substrings finds
// every candidate, and each is then checked against the whole code.

/// The substring tables of one database.
public final class MultiIndexTables: @unchecked Sendable {
  public let database: BinaryCodes
  /// (first bit, length) of each substring.
  let substrings: [(start: Int, length: Int)]
  /// Per substring: each substring value's group start, and the items grouped by value
  /// (counting-sorted). Raw memory, so that searching threads share it without reference counting.
  let offsets: [UnsafeMutablePointer<Int32>]
  let items: [UnsafeMutablePointer<Int32>]

  /// Builds the tables: m = ⌈bits/16⌉ substrings of near-equal length.
  public init(_ database: BinaryCodes) {
    self.database = database
    let m = (database.bits + 15) / 16
    substrings = (0..<m).map { j in
      let start = database.bits * j / m
      return (start, database.bits * (j + 1) / m - start)
    }
    var offsets = [UnsafeMutablePointer<Int32>](), items = [UnsafeMutablePointer<Int32>]()
    var keys = [Int](repeating: 0, count: database.count)
    for s in substrings {
      let groups = 1 << s.length
      let counts = UnsafeMutablePointer<Int32>.allocate(capacity: groups + 1)
      counts.initialize(repeating: 0, count: groups + 1)
      for i in 0..<database.count {
        keys[i] = Self.key(database.words + i * database.wordsPerCode, s)
        counts[keys[i] + 1] += 1
      }
      for v in 0..<groups { counts[v + 1] += counts[v] }
      var next = Array(UnsafeBufferPointer(start: counts, count: groups))
      let order = UnsafeMutablePointer<Int32>.allocate(capacity: max(database.count, 1))
      for i in 0..<database.count {
        order[Int(next[keys[i]])] = Int32(i)
        next[keys[i]] += 1
      }
      offsets.append(counts)
      items.append(order)
    }
    self.offsets = offsets
    self.items = items
  }

  deinit {
    for p in offsets { p.deallocate() }
    for p in items { p.deallocate() }
  }

  public var substringCount: Int { substrings.count }

  /// The value of bits start..<start+length of a code (they may straddle two words).
  @inline(__always)
  static func key(_ code: UnsafePointer<UInt64>, _ s: (start: Int, length: Int)) -> Int {
    let word = s.start / 64, shift = s.start % 64
    var v = code[word] >> UInt64(shift)
    if shift + s.length > 64 { v |= code[word + 1] << UInt64(64 - shift) }
    return Int(v & ((1 << UInt64(s.length)) - 1))
  }
}

/// One thread's search state over the tables; not shared between threads.
final class MultiIndexSearcher {
  let tables: MultiIndexTables
  private let database: CodeView
  private let substrings: [(start: Int, length: Int)]
  private var seen: [UInt32]
  private var stamp: UInt32 = 0
  /// Candidates checked by the last search (items and probed buckets).
  private(set) var work = 0

  init(_ tables: MultiIndexTables) {
    self.tables = tables
    database = CodeView(tables.database)
    substrings = tables.substrings
    seen = [UInt32](repeating: 0, count: tables.database.count)
  }

  /// The items within `radius` of the query, by (distance, item); nil when checking would cost
  /// more than `budget` (the caller then scans instead).
  func radius(_ query: UnsafePointer<UInt64>, _ radius: Int, budget: Int) -> [SearchHit]? {
    var buckets = [[Int32]](repeating: [], count: tables.database.bits + 1)
    guard begin(query, shells: 0...(radius / tables.substringCount), limit: radius, budget: budget, into: &buckets) else { return nil }
    return collect(buckets, upTo: radius, limit: .max)
  }

  /// The k nearest items, growing the search radius until k items lie within it.
  func topK(_ query: UnsafePointer<UInt64>, _ k: Int, budget: Int) -> [SearchHit]? {
    let bits = tables.database.bits, m = tables.substringCount
    var buckets = [[Int32]](repeating: [], count: bits + 1)
    var found = 0, shell = 0
    startQuery()
    for r in 0...bits {
      // Radius r needs substring shells up to ⌊r/m⌋; each shell is probed once.
      while shell <= r / m {
        guard probe(query, shell: shell, limit: bits, budget: budget, into: &buckets) else { return nil }
        shell += 1
      }
      found += buckets[r].count
      if found >= min(k, tables.database.count) { return collect(buckets, upTo: r, limit: k) }
    }
    return collect(buckets, upTo: bits, limit: k)
  }

  private func startQuery() {
    work = 0
    if stamp == UInt32.max { seen = [UInt32](repeating: 0, count: seen.count); stamp = 0 }
    stamp += 1
  }

  private func begin(_ query: UnsafePointer<UInt64>, shells: ClosedRange<Int>, limit: Int, budget: Int, into buckets: inout [[Int32]]) -> Bool {
    startQuery()
    for shell in shells { guard probe(query, shell: shell, limit: limit, budget: budget, into: &buckets) else { return false } }
    return true
  }

  /// Probes, in every table, the buckets whose substring differs from the query's in exactly
  /// `shell` bits; new items within `limit` go to their distance's bucket.
  private func probe(_ query: UnsafePointer<UInt64>, shell: Int, limit: Int, budget: Int, into buckets: inout [[Int32]]) -> Bool {
    let codes = database.words, words = database.wordsPerCode, stamp = self.stamp
    var ok = true
    seen.withUnsafeMutableBufferPointer { seen in
      for (j, s) in substrings.enumerated() where shell <= s.length && ok {
        let key = MultiIndexTables.key(query, s), offsets = tables.offsets[j], items = tables.items[j]
        BitFlips.forEach(length: s.length, flips: shell) { mask in
          guard ok else { return }
          let v = key ^ mask
          let lo = Int(offsets[v]), hi = Int(offsets[v + 1])
          work += 1 + hi - lo
          if work > budget { ok = false; return }
          for t in lo..<hi {
            let i = Int(items[t])
            if seen[i] == stamp { continue }
            seen[i] = stamp
            let d = Hamming.distance(query, codes + i * words, words)
            if d <= limit { buckets[d].append(Int32(i)) }
          }
        }
      }
    }
    return ok
  }

  /// Hits of distance ≤ upTo, by distance then item, at most `limit`.
  private func collect(_ buckets: [[Int32]], upTo: Int, limit: Int) -> [SearchHit] {
    var hits = [SearchHit]()
    for d in 0...upTo {
      for i in buckets[d].sorted() {
        if hits.count == limit { return hits }
        hits.append(SearchHit(index: Int(i), distance: d))
      }
    }
    return hits
  }
}

enum BitFlips {
  /// Calls body with every mask of `length` bits that has exactly `flips` bits set.
  static func forEach(length: Int, flips: Int, _ body: (Int) -> Void) {
    guard flips <= length else { return }
    if flips == 0 { body(0); return }
    // Gosper's hack: the next larger integer with the same number of set bits.
    var mask = (1 << flips) - 1
    while mask < (1 << length) {
      body(mask)
      let c = mask & -mask, r = mask + c
      mask = (((r ^ mask) >> 2) / c) | r
    }
  }
}
