// Tests of the fast searches against the full-sort reference: random codes of several lengths,
// heavy ties, k larger than the database, one query or many, one thread or several.

import XCTest
@testable import Hashing

/// Random codes; `clustered` draws them near a few centres so that distances tie a lot.
func randomCodes(_ count: Int, bits: Int, seed: UInt64, clustered: Bool = false) -> BinaryCodes {
  var rng = SeededRandom(seed)
  let centres = (0..<4).map { _ in (0..<bits).map { _ in rng.bit() } }
  let rows: [[Float]] = (0..<count).map { _ in
    let centre = centres[rng.int(4)]
    return (0..<bits).map { j in
      let bit = clustered ? (rng.int(8) == 0 ? !centre[j] : centre[j]) : rng.bit()
      return bit ? 1 : -1
    }
  }
  return BinaryCodes(signs: rows, bits: bits)
}

/// A small deterministic generator for test data (SplitMix64).
struct SeededRandom {
  var state: UInt64
  init(_ seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func bit() -> Bool { next() & 1 == 1 }
  mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

final class HammingSearchTests: XCTestCase {
  func testPackingFollowsSigns() {
    let codes = BinaryCodes(signs: [[1, -1, 0, -0.5, 1, 1, 1, 1], [-1, -1, -1, -1, -1, -1, -1, 2]], bits: 8)
    XCTAssertEqual(codes.allWords, [0b1111_0101, 0b1000_0000])
    XCTAssertEqual(codes.distance(0, to: codes, 1), 5)
    XCTAssertEqual(codes.sign(0, bit: 1), -1)
    let long = BinaryCodes(signs: [(0..<130).map { $0 % 3 == 0 ? 1 : -1 }], bits: 130)
    XCTAssertEqual(long.wordsPerCode, 3)
    XCTAssertEqual(long.allWords.map(\.nonzeroBitCount).reduce(0, +), 44)
  }

  func testTopKMatchesFullSort() {
    for bits in [8, 16, 32, 64, 100, 128, 256] {
      for clustered in [false, true] {
        let database = randomCodes(3000, bits: bits, seed: UInt64(bits), clustered: clustered)
        let queries = randomCodes(9, bits: bits, seed: UInt64(bits) + 1, clustered: clustered)
        for k in [1, 10, 100] {
          for threads in [1, 2, 3] {
            XCTAssertEqual(HammingSearch.topK(queries, in: database, k: k, threads: threads),
                           SearchReference.topK(queries, in: database, k: k),
                           "bits \(bits) clustered \(clustered) k \(k) threads \(threads)")
          }
        }
      }
    }
  }

  func testVectorScanGroupsTailsAndUnalignedParts() {
    // The scan tests 32 codes at a time; sizes around a group, and a single query split over
    // three threads (parts start off a group boundary), must give the reference's answer.
    let saved = HammingSearch.singleQuerySplitMinimum
    HammingSearch.singleQuerySplitMinimum = 1
    defer { HammingSearch.singleQuerySplitMinimum = saved }
    for bits in [64, 100, 128] {
      for n in [1, 31, 32, 33, 95, 1001] {
        let database = randomCodes(n, bits: bits, seed: UInt64(n), clustered: true)
        let queries = randomCodes(20, bits: bits, seed: UInt64(n) + 7, clustered: true)
        for threads in [1, 3] {
          XCTAssertEqual(HammingSearch.topK(queries, in: database, k: 7, threads: threads), SearchReference.topK(queries, in: database, k: 7),
                         "bits \(bits) n \(n) threads \(threads)")
          XCTAssertEqual(HammingSearch.topK(queries.subset([3]), in: database, k: 7, threads: threads),
                         SearchReference.topK(queries.subset([3]), in: database, k: 7), "single, bits \(bits) n \(n) threads \(threads)")
          XCTAssertEqual(HammingSearch.radius(queries, in: database, radius: bits / 8, threads: threads),
                         SearchReference.radius(queries, in: database, radius: bits / 8), "radius, bits \(bits) n \(n)")
        }
      }
    }
  }

  func testTiesAtTheThresholdKeepTheEarliestItems() {
    // Every code at distance 0 or 1 from the query: once k ties fill the threshold, later ties are
    // refused, and the answer must still be the first items by position, across split parts too.
    let saved = HammingSearch.singleQuerySplitMinimum
    HammingSearch.singleQuerySplitMinimum = 1
    defer { HammingSearch.singleQuerySplitMinimum = saved }
    for bits in [64, 128] {
      let query = randomCodes(1, bits: bits, seed: 40)
      var words = [UInt64]()
      for i in 0..<500 {
        var code = Array(UnsafeBufferPointer(start: query.words, count: query.wordsPerCode))
        if i % 7 != 3 { code[0] ^= 1 << UInt64(i % 64) }  // every seventh item is an exact match
        words += code
      }
      let database = BinaryCodes(words: words, bits: bits)
      for (k, threads) in [(5, 1), (5, 3), (80, 1), (80, 3), (600, 2)] {
        let hits = HammingSearch.topK(query, in: database, k: k, threads: threads)[0]
        XCTAssertEqual(hits, SearchReference.topK(query, in: database, k: k)[0], "bits \(bits) k \(k) threads \(threads)")
        XCTAssertEqual(hits.prefix(5).map(\.index), [3, 10, 17, 24, 31])
      }
    }
  }

  func testTopKCountsEveryCodeUpToItsFarthestHit() {
    // The tie counts of the scan against counts over every code: one and two threads (the split
    // parts stop counting at their own thresholds), shallow and deep searches (k ≥ 256 starts from a
    // sampled threshold), heavy ties.
    let saved = HammingSearch.singleQuerySplitMinimum
    HammingSearch.singleQuerySplitMinimum = 1
    defer { HammingSearch.singleQuerySplitMinimum = saved }
    for bits in [16, 64, 128] {
      let database = randomCodes(20_000, bits: bits, seed: UInt64(bits) + 11, clustered: true)
      let queries = randomCodes(4, bits: bits, seed: UInt64(bits) + 12, clustered: true)
      for (k, threads) in [(1, 1), (20, 1), (20, 2), (300, 1), (1000, 2)] {
        for q in 0..<queries.count {
          let query = queries.subset([q])
          let counted = HammingSearch.topKCounted(query, in: database, k: k, threads: threads)[0]
          XCTAssertEqual(counted.hits, SearchReference.topK(query, in: database, k: k)[0], "bits \(bits) k \(k) threads \(threads)")
          var all = [Int](repeating: 0, count: bits + 1)
          for i in 0..<database.count { all[query.distance(0, to: database, i)] += 1 }
          let edge = counted.hits.last!.distance
          XCTAssertGreaterThan(counted.ties.count, edge, "bits \(bits) k \(k) threads \(threads): counted up to the farthest hit")
          XCTAssertEqual(counted.ties, Array(all.prefix(counted.ties.count)), "bits \(bits) k \(k) threads \(threads) query \(q)")
        }
      }
    }
  }

  func testKLargerThanDatabase() {
    let database = randomCodes(37, bits: 16, seed: 5, clustered: true), queries = randomCodes(3, bits: 16, seed: 6)
    let hits = HammingSearch.topK(queries, in: database, k: 100)
    XCTAssertEqual(hits.map(\.count), [37, 37, 37])
    XCTAssertEqual(hits, SearchReference.topK(queries, in: database, k: 100))
  }

  func testSingleQuerySplitsTheDatabase() {
    let saved = HammingSearch.singleQuerySplitMinimum
    HammingSearch.singleQuerySplitMinimum = 10_000
    defer { HammingSearch.singleQuerySplitMinimum = saved }
    let database = randomCodes(70_000, bits: 32, seed: 7, clustered: true), query = randomCodes(1, bits: 32, seed: 8, clustered: true)
    XCTAssertEqual(HammingSearch.topK(query, in: database, k: 50, threads: 2), SearchReference.topK(query, in: database, k: 50))
    XCTAssertEqual(HammingSearch.radius(query, in: database, radius: 3, threads: 2), SearchReference.radius(query, in: database, radius: 3))
  }

  func testRadiusMatchesFilter() {
    for bits in [16, 64, 128] {
      let database = randomCodes(2000, bits: bits, seed: 9, clustered: true), queries = randomCodes(5, bits: bits, seed: 10, clustered: true)
      for r in [0, 2, bits / 4] {
        XCTAssertEqual(HammingSearch.radius(queries, in: database, radius: r), SearchReference.radius(queries, in: database, radius: r), "bits \(bits) r \(r)")
      }
    }
  }
}

final class MultiIndexTests: XCTestCase {
  func testBitFlipEnumerationCountsCombinations() {
    for (length, flips, expected) in [(16, 0, 1), (16, 1, 16), (16, 2, 120), (5, 5, 1), (3, 4, 0)] {
      var masks = Set<Int>()
      BitFlips.forEach(length: length, flips: flips) { masks.insert($0) }
      XCTAssertEqual(masks.count, expected)
      XCTAssertTrue(masks.allSatisfy { $0.nonzeroBitCount == flips && $0 < (1 << length) })
    }
  }

  func testMultiIndexMatchesFullSort() {
    for bits in [16, 24, 64, 100, 128] {
      let database = randomCodes(4000, bits: bits, seed: UInt64(bits) + 20, clustered: true)
      let queries = randomCodes(6, bits: bits, seed: UInt64(bits) + 21, clustered: true)
      let index = HammingIndex(database)
      for k in [1, 25, 5000] {
        XCTAssertEqual(index.topK(queries, k: k, strategy: .multiIndex, threads: 2), SearchReference.topK(queries, in: database, k: k), "bits \(bits) k \(k)")
        XCTAssertEqual(index.lastMultiIndexCount, 6)
      }
      for r in [0, 2, 5] {
        XCTAssertEqual(index.radius(queries, radius: r, strategy: .multiIndex), SearchReference.radius(queries, in: database, radius: r), "bits \(bits) r \(r)")
      }
    }
  }

  func testAutoFallsBackToTheScanWhenMultiIndexDoesNotPay() {
    // Uniform random 64-bit codes: the 100 nearest lie far away, so the tables do not pay.
    let database = randomCodes(60_000, bits: 64, seed: 30), queries = randomCodes(70, bits: 64, seed: 31)
    let index = HammingIndex(database)
    let hits = index.topK(queries, k: 100)
    XCTAssertEqual(index.lastMultiIndexCount, 0)
    XCTAssertEqual(hits[3], SearchReference.topK(queries.subset([3]), in: database, k: 100)[0])
    // Radius 2 is what it is made for.
    let near = index.radius(queries, radius: 2)
    XCTAssertEqual(index.lastMultiIndexCount, 70)
    XCTAssertEqual(near, HammingSearch.radius(queries, in: database, radius: 2))
  }

  /// Tie-group sizes against every distance computed one by one.
  func testDistanceCountsMatchABruteForceCount() {
    // One word and several.
    for (bits, count) in [(16, 300), (64, 1300), (128, 1029)] {
      let database = randomCodes(count, bits: bits, seed: 5, clustered: true)
      let queries = database.subset([0, 7])
      for q in 0..<2 {
        let expected = (0...9).map { d in (0..<count).filter { database.distance($0, to: queries, q) == d }.count }
        XCTAssertEqual(HammingSearch.distanceCounts(queries, q, in: database, upTo: 9), expected, "\(bits) bits")
      }
    }
  }

  func testDeepTopKFromAnEstimatedThresholdMatchesFullSort() {
    // k ≥ 256 over at least 64·k codes starts from a threshold estimated on a sample.
    var rng = SeededRandom(21)
    let n = 100_000, k = 300
    // 200 codes one bit from the query, all inside the first sampled run: the sample promises far
    // more near codes than there are, the scan finds fewer than k and searches again from the top.
    let query: UInt64 = 0x0123_4567_89AB_CDEF
    var words = (0..<n).map { _ in rng.next() }
    for i in 0..<200 { words[i] = query ^ (1 << UInt64(i % 64)) }
    let database = BinaryCodes(words: words, bits: 64)
    let queries = BinaryCodes(words: [query] + (0..<5).map { _ in rng.next() } + [words[50_000]], bits: 64)
    XCTAssertLessThanOrEqual(HammingSearch.estimatedThreshold(queries.words, database, k: k), 1, "the misleading sample")
    let reference = SearchReference.topK(queries, in: database, k: k)
    for threads in [1, 2] {
      XCTAssertEqual(HammingSearch.topK(queries, in: database, k: k, threads: threads), reference, "\(threads) threads")
      for q in 0..<queries.count {
        XCTAssertEqual(HammingSearch.topK(queries.subset([q]), in: database, k: k, threads: threads)[0], reference[q], "query \(q) alone")
      }
    }
    // Two-word codes with many ties.
    let clustered = randomCodes(20_000, bits: 128, seed: 4, clustered: true), near = randomCodes(3, bits: 128, seed: 5, clustered: true)
    XCTAssertEqual(HammingSearch.topK(near, in: clustered, k: 256), SearchReference.topK(near, in: clustered, k: 256))
  }
}
