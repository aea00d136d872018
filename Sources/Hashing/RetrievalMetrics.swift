// RetrievalMetrics: MAP@all and MAP@k, precision@k and recall@k, precision and MAP within a
// Hamming radius, the precision-recall curve over radius and NDCG@k, for codes with multi-label
// relevance (an item is relevant when it shares a label with the query).
//
// Ranking: by Hamming distance, equal distances by item position. A query without any relevant
// item counts with AP 0 (as in DCMH's code) and is reported. Distances are small integers, so
// ranks come from counting per distance, never from sorting: one pass counts, one pass ranks.

import Dispatch
import Foundation
import Platform

public struct EvaluationOptions: Sendable {
  /// Also MAP over the top k (the DCMH convention: AP@k divides by the relevant items in the top k).
  public var mapAtK: Int?
  /// Cut-offs for the precision@k and recall@k curves (kept sorted, without repeats).
  public var cutoffs: [Int]
  /// NDCG at this depth, gain = number of shared labels, discount log2(rank + 1).
  public var ndcgAtK: Int?
  /// Radius for "precision and MAP within Hamming radius" (2 by convention).
  public var radius: Int

  public init(mapAtK: Int? = nil, cutoffs: [Int] = [], ndcgAtK: Int? = nil, radius: Int = 2) {
    self.mapAtK = mapAtK; self.cutoffs = Array(Set(cutoffs.filter { $0 > 0 })).sorted(); self.ndcgAtK = ndcgAtK; self.radius = radius
  }
}

public struct RetrievalReport: Sendable {
  public var queries = 0, database = 0, bits = 0
  public var map = 0.0
  public var mapAtK: Double?
  /// Precision and recall at each cut-off of the options.
  public var precisionAtK = [Double](), recallAtK = [Double]()
  public var precisionWithinRadius = 0.0
  /// MAP over the items within the radius (Deep Cauchy Hashing's MAP@H≤2): each query's AP over
  /// what a hash-table lookup returns, 0 when that holds nothing relevant.
  public var mapWithinRadius = 0.0
  /// Mean precision and recall of the items within radius r, for r = 0...bits.
  public var curvePrecision = [Double](), curveRecall = [Double]()
  public var ndcg: Double?
  /// The share of the top 10 results whose labels include every label of the query.
  public var wholeMatchAt10 = 0.0
  /// MAP@all of a random ranking of the same items (the mean of each query's expected AP).
  public var mapChance = 0.0
  public var queriesWithoutRelevant = 0
}

public enum RetrievalMetrics {
  public static func evaluate(queries: BinaryCodes, queryLabels: LabelSets, database: BinaryCodes, databaseLabels: LabelSets,
                              options: EvaluationOptions = EvaluationOptions(), threads: Int = HammingSearch.defaultThreads) -> RetrievalReport {
    precondition(queries.bits == database.bits, "evaluate: \(queries.bits)-bit queries against \(database.bits)-bit items")
    precondition(queryLabels.count == queries.count && databaseLabels.count == database.count,
                 "evaluate: \(queryLabels.count) query label sets for \(queries.count) queries, \(databaseLabels.count) for \(database.count) items")
    precondition(queryLabels.labelCount == databaseLabels.labelCount, "evaluate: queries and items use different label lists")
    // Under mpirun each rank scores its part of the queries, and every rank averages all of them in
    // query order, as one process does.
    let mine = MPI.world?.share(queries.count) ?? 0..<queries.count
    var perQuery = [QueryScores](repeating: QueryScores(), count: mine.count)
    let workers = max(1, min(threads, mine.count))
    perQuery.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        let scratch = Scratch(database.count, bits: database.bits)
        for j in (mine.count * w / workers)..<(mine.count * (w + 1) / workers) {
          out[j] = score(mine.lowerBound + j, queries, queryLabels, database, databaseLabels, options, scratch)
        }
      }
    }
    if let world = MPI.world { perQuery = QueryScores.gathered(perQuery, by: world, cutoffs: options.cutoffs.count, bits: database.bits) }
    return summarise(perQuery, queries: queries.count, database: database.count, bits: database.bits, options: options)
  }

  /// One query's figures before averaging.
  struct QueryScores {
    var ap = 0.0, apAtK = 0.0, precisionRadius = 0.0, apRadius = 0.0, ndcg = 0.0, wholeMatch = 0.0
    var relevant = 0
    var relevantWithinCutoff = [Int]()
    var cumulativeCount = [Int](), cumulativeRelevant = [Int]()

    /// Every rank's scores in rank order, sent as numbers of a fixed layout (counts are exact in
    /// a Double).
    static func gathered(_ mine: [QueryScores], by world: MPI, cutoffs: Int, bits: Int) -> [QueryScores] {
      let width = 7 + cutoffs + 2 * (bits + 1)
      let all = world.gather(mine.flatMap { q -> [Double] in
        let counts: [Int] = q.relevantWithinCutoff + q.cumulativeCount + q.cumulativeRelevant
        let figures: [Double] = [q.ap, q.apAtK, q.precisionRadius, q.apRadius, q.ndcg, q.wholeMatch, Double(q.relevant)]
        return figures + counts.map { Double($0) }
      })
      return stride(from: 0, to: all.count, by: width).map { start in
        let v = Array(all[start..<(start + width)]), ints: [Int] = v[7...].map { Int($0) }
        return QueryScores(ap: v[0], apAtK: v[1], precisionRadius: v[2], apRadius: v[3], ndcg: v[4], wholeMatch: v[5], relevant: Int(v[6]),
                           relevantWithinCutoff: Array(ints[0..<cutoffs]), cumulativeCount: Array(ints[cutoffs..<(cutoffs + bits + 1)]),
                           cumulativeRelevant: Array(ints[(cutoffs + bits + 1)...]))
      }
    }
  }

  /// Per-thread buffers reused from query to query (raw memory: these loops run 36 million
  /// times for a standard evaluation, and array checks tripled their cost).
  final class Scratch {
    let distance: UnsafeMutablePointer<UInt16>, gain: UnsafeMutablePointer<UInt8>
    /// The relevant items in item order, and each one's place within its distance group.
    let relevantItems, places: UnsafeMutablePointer<Int32>
    /// Per distance: items, relevant items, relevant items seen so far, base ranks.
    let count, relevant, relevantSeen, base, relevantBase: UnsafeMutablePointer<Int>
    private let n: Int, bins: Int

    init(_ n: Int, bits: Int) {
      self.n = n
      bins = bits + 1
      distance = .allocate(capacity: max(n, 1)); gain = .allocate(capacity: max(n, 1))
      relevantItems = .allocate(capacity: max(n, 1)); places = .allocate(capacity: max(n, 1))
      count = .allocate(capacity: bins); relevant = .allocate(capacity: bins)
      relevantSeen = .allocate(capacity: bins); base = .allocate(capacity: bins); relevantBase = .allocate(capacity: bins)
    }

    func reset() {
      for p in [count, relevant, relevantSeen, base, relevantBase] { p.initialize(repeating: 0, count: bins) }
    }

    deinit {
      distance.deallocate(); gain.deallocate(); relevantItems.deallocate(); places.deallocate()
      for p in [count, relevant, relevantSeen, base, relevantBase] { p.deallocate() }
    }
  }

  static func score(_ q: Int, _ queries: BinaryCodes, _ queryLabels: LabelSets, _ database: BinaryCodes, _ databaseLabels: LabelSets,
                    _ options: EvaluationOptions, _ s: Scratch) -> QueryScores {
    let n = database.count, bits = database.bits
    fillDistancesAndGains(q, queries, queryLabels, database, databaseLabels, s)
    s.reset()
    // Pass 1, over every item: group sizes by distance, and for each relevant item its place in
    // its group (items of equal distance rank by position, so that place is its order of arrival).
    let distance = s.distance, gains = s.gain, count = s.count, relevant = s.relevant
    let relevantItems = s.relevantItems, places = s.places
    var found = 0
    for i in 0..<n {
      let d = Int(distance[i])
      let place = count[d] &+ 1
      count[d] = place
      // Written always, kept only when relevant: no branch to mispredict on random relevance.
      relevantItems[found] = Int32(truncatingIfNeeded: i)
      places[found] = Int32(truncatingIfNeeded: place)
      found &+= (Int(gains[i]) &+ 255) >> 8  // 1 when the gain is positive
    }
    for r in 0..<found { relevant[Int(distance[Int(relevantItems[r])])] &+= 1 }
    // Items before each distance's group (its base rank) and relevant ones before it.
    let base = s.base, relevantBase = s.relevantBase, relevantSeen = s.relevantSeen
    for d in 1..<(bits + 1) { base[d] = base[d - 1] + count[d - 1]; relevantBase[d] = relevantBase[d - 1] + relevant[d - 1] }
    var result = QueryScores()
    result.relevant = found
    result.cumulativeCount = (0...bits).map { base[$0] + count[$0] }
    result.cumulativeRelevant = (0...bits).map { relevantBase[$0] + relevant[$0] }
    let within = result.cumulativeCount[min(options.radius, bits)]
    result.precisionRadius = within == 0 ? 0 : Double(result.cumulativeRelevant[min(options.radius, bits)]) / Double(within)

    // Pass 2, over the relevant items only: rank and precision at each.
    let mapK = options.mapAtK ?? 0, ndcgK = options.ndcgAtK ?? 0
    let cutoffs = options.cutoffs, lastCutoff = cutoffs.last ?? 0
    var relevantAt = [Int](repeating: 0, count: cutoffs.count)  // relevant items by first cut-off reached
    var apAtK = 0.0, relevantInTopK = 0, dcg = 0.0, apRadius = 0.0, relevantInRadius = 0
    let radius = options.radius, whole = queryLabels.size(q)
    var ap = 0.0, wholeMatches = 0
    for r in 0..<found {
      let i = Int(relevantItems[r]), d = Int(distance[i])
      let rank = base[d] &+ Int(places[r])
      relevantSeen[d] &+= 1
      let precision = Double(relevantBase[d] &+ relevantSeen[d]) / Double(rank)
      ap += precision
      if rank <= mapK { apAtK += precision; relevantInTopK += 1 }
      if d <= radius { apRadius += precision; relevantInRadius += 1 }
      if rank <= lastCutoff { relevantAt[firstIndex(in: cutoffs, atLeast: rank)] += 1 }
      if rank <= ndcgK { dcg += Double(gains[i]) / log2(Double(rank + 1)) }
      if rank <= 10 && Int(gains[i]) == whole { wholeMatches += 1 }
    }
    result.wholeMatch = n == 0 ? 0 : Double(wholeMatches) / Double(min(10, n))
    result.ap = result.relevant == 0 ? 0 : ap / Double(result.relevant)
    result.apAtK = relevantInTopK == 0 ? 0 : apAtK / Double(relevantInTopK)
    result.apRadius = relevantInRadius == 0 ? 0 : apRadius / Double(relevantInRadius)
    for c in relevantAt.indices.dropFirst() { relevantAt[c] += relevantAt[c - 1] }
    result.relevantWithinCutoff = relevantAt
    if ndcgK > 0 { result.ndcg = dcg == 0 ? 0 : dcg / idealDCG(UnsafeBufferPointer(start: gains, count: n), k: ndcgK) }
    return result
  }

  /// The position of the first value ≥ x in an ascending array that has one.
  @inline(__always)
  private static func firstIndex(in sorted: [Int], atLeast x: Int) -> Int {
    var lo = 0, hi = sorted.count - 1
    while lo < hi {
      let mid = (lo + hi) / 2
      if sorted[mid] >= x { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// Distances to every item (vectorised for one- and two-word codes) and shared-label counts.
  private static func fillDistancesAndGains(_ q: Int, _ queries: BinaryCodes, _ queryLabels: LabelSets, _ database: BinaryCodes,
                                            _ databaseLabels: LabelSets, _ s: Scratch) {
    let n = database.count, words = database.wordsPerCode, query = queries.words + q * queries.wordsPerCode, codes = database.words
    do {
      let out = s.distance
      switch words {
      case 1:
        let q0 = query[0]
        for i in 0..<n { out[i] = UInt16(truncatingIfNeeded: (codes[i] ^ q0).nonzeroBitCount) }
      case 2:
        let q0 = query[0], q1 = query[1]
        for i in 0..<n { out[i] = UInt16(truncatingIfNeeded: (codes[2 * i] ^ q0).nonzeroBitCount &+ (codes[2 * i + 1] ^ q1).nonzeroBitCount) }
      default:
        for i in 0..<n { out[i] = UInt16(truncatingIfNeeded: Hamming.distance(query, codes + i * words, words)) }
      }
    }
    let lw = databaseLabels.wordsPerItem
    do {
      let out = s.gain
      databaseLabels.words.withUnsafeBufferPointer { items in
        queryLabels.words.withUnsafeBufferPointer { ql in
          if lw == 1 {
            let l0 = ql[q]
            for i in 0..<n { out[i] = UInt8(truncatingIfNeeded: (items[i] & l0).nonzeroBitCount) }
          } else {
            for i in 0..<n {
              var g = 0
              for w in 0..<lw { g &+= (items[i * lw + w] & ql[q * lw + w]).nonzeroBitCount }
              out[i] = UInt8(truncatingIfNeeded: min(g, 255))
            }
          }
        }
      }
    }
  }

  /// The expected AP of a uniformly random ranking of N items of which R are relevant:
  /// E[AP] = (1/R) Σ_k P(rel at k)·E[precision@k | rel at k] = (1/N)[H_N + (R − 1)(N − H_N)/(N − 1)],
  /// with H_N the N-th harmonic number; 0 without a relevant item (AP 0, as in DCMH's code).
  public static func expectedAP(relevant r: Int, items n: Int, harmonic: Double? = nil) -> Double {
    guard r > 0, n > 0 else { return 0 }
    if n == 1 { return 1 }
    let h = harmonic ?? harmonicNumber(n)
    return (h + Double(r - 1) * (Double(n) - h) / Double(n - 1)) / Double(n)
  }

  static func harmonicNumber(_ n: Int) -> Double { n < 1 ? 0 : (1...n).reduce(0.0) { $0 + 1 / Double($1) } }

  /// The best possible DCG@k: the largest gains first (gains are small, so they are counted).
  static func idealDCG(_ gains: UnsafeBufferPointer<UInt8>, k: Int) -> Double {
    var histogram = [Int](repeating: 0, count: 256)
    for g in gains { histogram[Int(g)] += 1 }
    var dcg = 0.0, rank = 0
    for g in stride(from: 255, through: 1, by: -1) where histogram[g] > 0 {
      for _ in 0..<histogram[g] {
        rank += 1
        if rank > k { return dcg }
        dcg += Double(g) / log2(Double(rank + 1))
      }
    }
    return dcg
  }

  /// Averages in query order, so the result does not depend on the thread count.
  static func summarise(_ scores: [QueryScores], queries: Int, database: Int, bits: Int, options: EvaluationOptions) -> RetrievalReport {
    var r = RetrievalReport()
    r.queries = queries; r.database = database; r.bits = bits
    guard queries > 0 else { return r }
    let n = Double(queries)
    r.map = scores.reduce(0) { $0 + $1.ap } / n
    if options.mapAtK != nil { r.mapAtK = scores.reduce(0) { $0 + $1.apAtK } / n }
    if options.ndcgAtK != nil { r.ndcg = scores.reduce(0) { $0 + $1.ndcg } / n }
    r.wholeMatchAt10 = scores.reduce(0) { $0 + $1.wholeMatch } / n
    r.precisionWithinRadius = scores.reduce(0) { $0 + $1.precisionRadius } / n
    r.mapWithinRadius = scores.reduce(0) { $0 + $1.apRadius } / n
    let harmonic = harmonicNumber(database)
    r.mapChance = scores.reduce(0) { $0 + expectedAP(relevant: $1.relevant, items: database, harmonic: harmonic) } / n
    r.queriesWithoutRelevant = scores.filter { $0.relevant == 0 }.count
    let withRelevant = max(1, queries - r.queriesWithoutRelevant)
    r.precisionAtK = options.cutoffs.indices.map { c in
      scores.reduce(0) { $0 + Double($1.relevantWithinCutoff[c]) / Double(options.cutoffs[c]) } / n
    }
    r.recallAtK = options.cutoffs.indices.map { c in
      scores.reduce(0) { $0 + ($1.relevant == 0 ? 0 : Double($1.relevantWithinCutoff[c]) / Double($1.relevant)) } / Double(withRelevant)
    }
    r.curvePrecision = (0...bits).map { d in
      scores.reduce(0) { $0 + ($1.cumulativeCount[d] == 0 ? 0 : Double($1.cumulativeRelevant[d]) / Double($1.cumulativeCount[d])) } / n
    }
    r.curveRecall = (0...bits).map { d in
      scores.reduce(0) { $0 + ($1.relevant == 0 ? 0 : Double($1.cumulativeRelevant[d]) / Double($1.relevant)) } / Double(withRelevant)
    }
    return r
  }
}
