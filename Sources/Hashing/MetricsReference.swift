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
      let relevant = gains.filter { $0 > 0 }.count
      if relevant > 0 { withRelevant += 1 } else { r.queriesWithoutRelevant += 1 }
      r.map += averagePrecision(gains, depth: gains.count)
      let whole = queryLabels.size(q)
      if whole > 0 && !gains.isEmpty { r.wholeMatchAt10 += Double(gains.prefix(10).filter { $0 == whole }.count) / Double(min(10, gains.count)) }
      if let k = options.mapAtK { mapAtK += averagePrecision(gains, depth: k) }
      for (c, k) in options.cutoffs.enumerated() {
        let hits = gains.prefix(k).filter { $0 > 0 }.count
        r.precisionAtK[c] += Double(hits) / Double(k)
        if relevant > 0 { r.recallAtK[c] += Double(hits) / Double(relevant) }
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
      if let k = options.ndcgAtK {
        let dcg = zip(gains.prefix(k), 1...).reduce(0.0) { $0 + Double($1.0) / log2(Double($1.1 + 1)) }
        let ideal = zip(gains.sorted(by: >).prefix(k), 1...).reduce(0.0) { $0 + Double($1.0) / log2(Double($1.1 + 1)) }
        ndcg += ideal == 0 ? 0 : dcg / ideal
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

  /// Mean of the precision at each relevant item within `depth`, over the relevant items within it.
  static func averagePrecision(_ gains: [Int], depth: Int) -> Double {
    var hits = 0, sum = 0.0
    for (rank, gain) in gains.prefix(depth).enumerated() where gain > 0 {
      hits += 1
      sum += Double(hits) / Double(rank + 1)
    }
    return hits == 0 ? 0 : sum / Double(hits)
  }
}
