// RerankedMetrics: the rank-based measures (MAP@all, MAP@k, NDCG@k, precision and recall@k, whole
// matches@10) when each query's nearest codes are re-ranked: the ranking is the re-ranked
// candidates, then every other item in Hamming order, measured as the plain reference measures a
// ranking (`MetricsReference.ListScores`). Measures defined by the Hamming radius
// (precision and MAP within it, the curve) do not depend on the order and come from the plain
// evaluation.

import Dispatch
import Foundation

public enum RerankedMetrics {
  /// `queryOutputs` are the queries' real-valued outputs (row-major, `queries.bits` each);
  /// `databaseOutputs` the items' stored outputs, when there are any.
  public static func evaluate(queries: BinaryCodes, queryOutputs: [Float], queryLabels: LabelSets,
                              database: BinaryCodes, databaseOutputs: StoredOutputs?, databaseLabels: LabelSets,
                              method: RerankMethod, settings: RerankSettings = RerankSettings(),
                              options: EvaluationOptions = EvaluationOptions(), threads: Int = HammingSearch.defaultThreads) -> RetrievalReport {
    precondition(method == .none || queryOutputs.count == queries.count * queries.bits, "reranked evaluate: \(queryOutputs.count) output values for \(queries.count) \(queries.bits)-bit queries")
    var report = RetrievalMetrics.evaluate(queries: queries, queryLabels: queryLabels, database: database, databaseLabels: databaseLabels,
                                           options: options, threads: threads)
    guard method != .none, queries.count > 0, database.count > 0 else { return report }
    let candidates = settings.radius == nil ? min(settings.candidates, database.count) : database.count
    let reranked = Reranker.search(queries, outputs: queryOutputs, in: database, stored: databaseOutputs, k: candidates, method: method,
                                   settings: settings, threads: threads)
    var perQuery = [MetricsReference.ListScores](repeating: MetricsReference.ListScores(), count: queries.count)
    let workers = max(1, min(threads, queries.count))
    perQuery.withUnsafeMutableBufferPointer { out in
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        for q in (queries.count * w / workers)..<(queries.count * (w + 1) / workers) {
          let order = reranked[q].map(\.index) + hammingOrder(queries, q, database).dropFirst(reranked[q].count)
          out[q] = MetricsReference.ListScores(order.map { queryLabels.shared(q, with: databaseLabels, $0) }, queryLabelCount: queryLabels.size(q), options: options)
        }
      }
    }
    let n = Double(queries.count), withRelevant = Double(max(1, queries.count - report.queriesWithoutRelevant))
    report.map = perQuery.reduce(0) { $0 + $1.ap } / n
    if options.mapAtK != nil { report.mapAtK = perQuery.reduce(0) { $0 + $1.apAtK } / n }
    if options.ndcgAtK != nil { report.ndcg = perQuery.reduce(0) { $0 + $1.ndcg } / n }
    report.wholeMatchAt10 = perQuery.reduce(0) { $0 + $1.wholeMatch } / n
    report.precisionAtK = options.cutoffs.indices.map { c in perQuery.reduce(0) { $0 + Double($1.hitsAtCutoff[c]) / Double(options.cutoffs[c]) } / n }
    report.recallAtK = options.cutoffs.indices.map { c in
      perQuery.reduce(0) { $0 + ($1.relevant == 0 ? 0 : Double($1.hitsAtCutoff[c]) / Double($1.relevant)) } / withRelevant
    }
    return report
  }

  /// Every item for query q by (distance, position): a counting sort over the distances.
  static func hammingOrder(_ queries: BinaryCodes, _ q: Int, _ database: BinaryCodes) -> [Int] {
    let distances = (0..<database.count).map { queries.distance(q, to: database, $0) }
    var start = [Int](repeating: 0, count: database.bits + 2)
    for d in distances { start[d + 1] += 1 }
    for d in 1..<start.count { start[d] += start[d - 1] }
    var order = [Int](repeating: 0, count: database.count)
    for (i, d) in distances.enumerated() {
      order[start[d]] = i
      start[d] += 1
    }
    return order
  }
}
