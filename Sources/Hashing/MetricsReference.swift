// MetricsReference: the plain metrics the counting implementation is tested against: every
// query's full ranking by sorting, then each figure straight from its definition.

import Foundation

public enum MetricsReference {
  public static func evaluate(queries: BinaryCodes, queryLabels: LabelSets, database: BinaryCodes, databaseLabels: LabelSets,
                              options: EvaluationOptions) -> RetrievalReport {
    var r = RetrievalReport()
    r.queries = queries.count; r.database = database.count; r.bits = database.bits
    let n = Double(queries.count)
    var withRelevant = 0
    r.precisionAtK = options.cutoffs.map { _ in 0 }; r.recallAtK = r.precisionAtK
    r.curvePrecision = Array(repeating: 0, count: database.bits + 1); r.curveRecall = r.curvePrecision
    var mapAtK = 0.0, ndcg = 0.0
    for q in 0..<queries.count {
      let ranking = SearchReference.ranking(queries, q, in: database)
      let gains = ranking.map { queryLabels.shared(q, with: databaseLabels, $0.index) }
      let list = ListScores(gains, queryLabelCount: queryLabels.size(q), options: options)
      let relevant = list.relevant
      if relevant > 0 { withRelevant += 1 } else { r.queriesWithoutRelevant += 1 }
      r.map += list.ap
      r.wholeMatchAt10 += list.wholeMatch
      mapAtK += list.apAtK
      ndcg += list.ndcg
      for (c, k) in options.cutoffs.enumerated() {
        r.precisionAtK[c] += Double(list.hitsAtCutoff[c]) / Double(k)
        if relevant > 0 { r.recallAtK[c] += Double(list.hitsAtCutoff[c]) / Double(relevant) }
      }
      for radius in 0...database.bits {
        let within = ranking.indices.filter { ranking[$0].distance <= radius }
        let hits = within.filter { gains[$0] > 0 }.count
        if !within.isEmpty { r.curvePrecision[radius] += Double(hits) / Double(within.count) }
        if relevant > 0 { r.curveRecall[radius] += Double(hits) / Double(relevant) }
        if radius == options.radius && !within.isEmpty {
          r.precisionWithinRadius += Double(hits) / Double(within.count)
          r.mapWithinRadius += averagePrecision(gains, depth: within.count)
        }
      }
    }
    r.map /= n
    r.wholeMatchAt10 /= n
    if options.mapAtK != nil { r.mapAtK = mapAtK / n }
    if options.ndcgAtK != nil { r.ndcg = ndcg / n }
    r.precisionWithinRadius /= n
    r.mapWithinRadius /= n
    r.precisionAtK = r.precisionAtK.map { $0 / n }
    r.recallAtK = r.recallAtK.map { $0 / Double(max(withRelevant, 1)) }
    r.curvePrecision = r.curvePrecision.map { $0 / n }
    r.curveRecall = r.curveRecall.map { $0 / Double(max(withRelevant, 1)) }
    return r
  }

  /// One query's rank-based figures from the gains (shared labels) of its whole ranking, each from
  /// its definition; also what `RerankedMetrics` measures a re-ranked order with.
  struct ListScores {
    var ap = 0.0, apAtK = 0.0, ndcg = 0.0, wholeMatch = 0.0
    var relevant = 0
    var hitsAtCutoff = [Int]()

    init() {}

    init(_ gains: [Int], queryLabelCount: Int, options: EvaluationOptions) {
      relevant = gains.filter { $0 > 0 }.count
      ap = averagePrecision(gains, depth: gains.count)
      if let k = options.mapAtK { apAtK = averagePrecision(gains, depth: k) }
      if let k = options.ndcgAtK {
        let dcg = zip(gains.prefix(k), 1...).reduce(0.0) { $0 + Double($1.0) / log2(Double($1.1 + 1)) }
        let ideal = zip(gains.sorted(by: >).prefix(k), 1...).reduce(0.0) { $0 + Double($1.0) / log2(Double($1.1 + 1)) }
        ndcg = ideal == 0 ? 0 : dcg / ideal
      }
      let top = gains.prefix(10)
      if queryLabelCount > 0 && !top.isEmpty { wholeMatch = Double(top.filter { $0 == queryLabelCount }.count) / Double(top.count) }
      hitsAtCutoff = options.cutoffs.map { k in gains.prefix(k).filter { $0 > 0 }.count }
    }
  }

  /// Mean of the precision at each relevant item within `depth`, over the relevant items within it
  /// (`gains` in rank order, relevant when positive).
  public static func averagePrecision(_ gains: [Int], depth: Int) -> Double {
    var hits = 0, sum = 0.0
    for (rank, gain) in gains.prefix(depth).enumerated() where gain > 0 {
      hits += 1
      sum += Double(hits) / Double(rank + 1)
    }
    return hits == 0 ? 0 : sum / Double(hits)
  }
}
