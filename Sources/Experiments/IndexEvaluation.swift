// IndexEvaluation: retrieval metrics of a query index against a retrieval index (`cmh index eval`),
// relevance from the labels stored for each item — as a table, JSON, CSV and SVG curves.

import Foundation
import Hashing
import Platform
import Search

public struct IndexEvaluation {
  public var k: Int, radius: Int

  public init(k: Int, radius: Int) { (self.k, self.radius) = (k, radius) }

  /// The report of the queries of `queries` against `retrieval` in the ranking `ranking`; `force`
  /// compares indexes that different models wrote.
  public func run(_ queries: String, _ retrieval: String, ranking: Ranking, force: Bool) throws -> Result {
    let (q, r) = try (open(queries), open(retrieval))
    try r.checkQueryBits(q.bits)
    if !force, let a = q.modelFingerprint, let b = r.modelFingerprint, a != b {
      throw ExperimentError("\(queries) and \(retrieval) were written by different models (fingerprints \(IndexFile.hex(a)) and \(IndexFile.hex(b))): "
                         + "their codes do not share a Hamming space; encode both with one model, or pass --force")
    }
    let names = Array(Set((0..<q.count).flatMap { labels(q, $0) } + (0..<r.count).flatMap { labels(r, $0) })).sorted()
    guard !names.isEmpty else { throw ExperimentError("\(queries), \(retrieval): no item has labels, so relevance is unknown") }
    let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    let sets = { (index: IndexFile) in LabelSets((0..<index.count).map { self.labels(index, $0).map { position[$0]! } }, labelCount: names.count) }
    let cutoffs = [1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].filter { $0 <= r.count } + [r.count]
    let chosen = try ranking.applied(to: r)
    // The queries' outputs as their index keeps them (or their codes as ±1).
    let outputs = chosen.method == .none ? [] : (0..<q.count).flatMap { EncodedQuery.item($0, of: q).output }
    let report = RerankedMetrics.evaluate(queries: q.codes, queryOutputs: outputs, queryLabels: sets(q), database: r.codes, databaseOutputs: r.outputs,
                                          databaseLabels: sets(r), method: chosen.method, settings: chosen.settings,
                                          options: EvaluationOptions(mapAtK: k, cutoffs: cutoffs, ndcgAtK: k, radius: radius))
    let direction = "\(q.modality.description.prefix(1))2\(r.modality.description.prefix(1))"
    return Result(report: report, direction: direction, cutoffs: Array(Set(cutoffs)).sorted(), order: SearchAnswer.order(chosen.method, chosen.settings),
                  rerank: chosen.method, retrieval: retrieval)
  }

  public struct Result {
    public let report: RetrievalReport, direction: String, cutoffs: [Int], order: String, rerank: RerankMethod, retrieval: String
  }

  private func open(_ path: String) throws -> IndexFile { try IndexFile.verified(URL(fileURLWithPath: path)) }

  private func labels(_ index: IndexFile, _ i: Int) -> [String] {
    index.item(i).labels
  }

  public func json(_ result: Result) -> String {
    let (r, direction, cutoffs, order, rerank) = (result.report, result.direction, result.cutoffs, result.order, result.rerank)
      let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
      let pk = JSONLine(zip(cutoffs, r.precisionAtK).map { ("\($0)", n($1)) })
      return JSONLine([("direction", .string(direction)), ("bits", .int(r.bits)), ("rerank", .string(rerank.rawValue)), ("map", n(r.map)), ("map_chance", n(r.mapChance)),
                       ("map_at_k", n(r.mapAtK ?? 0)), ("k", .int(k)), ("ndcg_at_k", n(r.ndcg ?? 0)), ("whole_match_at_10", n(r.wholeMatchAt10)),
                       ("precision_radius", n(r.precisionWithinRadius)),
                       ("map_radius", n(r.mapWithinRadius)), ("radius", .int(radius)), ("precision_at_k", .object(pk)), ("queries", .int(r.queries)),
                       ("retrieval", .int(r.database)), ("queries_without_relevant", .int(r.queriesWithoutRelevant)),
                       ("ties", .string(order))]).text
  }

  public func csv(_ result: Result) -> String {
    let (r, cutoffs, rerank) = (result.report, result.cutoffs, result.rerank)
    let f = { (x: Double) in String(format: "%.4f", x) }
      var lines = ["metric,k,value", "rerank,,\(rerank)", "map,all,\(f(r.map))", "map_chance,all,\(f(r.mapChance))", "map,\(k),\(f(r.mapAtK ?? 0))", "ndcg,\(k),\(f(r.ndcg ?? 0))",
                   "precision_within_radius,\(radius),\(f(r.precisionWithinRadius))", "map_within_radius,\(radius),\(f(r.mapWithinRadius))"]
      lines += zip(cutoffs, zip(r.precisionAtK, r.recallAtK)).flatMap { ["precision_at_k,\($0),\(f($1.0))", "recall_at_k,\($0),\(f($1.1))"] }
      lines += r.curvePrecision.indices.flatMap { ["pr_precision,\($0),\(f(r.curvePrecision[$0]))", "pr_recall,\($0),\(f(r.curveRecall[$0]))"] }
      return lines.joined(separator: "\n")
  }

  public func table(_ result: Result) -> String {
    let (r, direction, cutoffs, order) = (result.report, result.direction, result.cutoffs, result.order)
    let f = { (x: Double) in String(format: "%.4f", x) }
    var lines = ["\(direction)  \(r.queries) queries × \(r.database) items, \(r.bits) bits (order: \(order))",
                 "  MAP@all                    \(f(r.map))   (chance: \(f(r.mapChance)))",
                 "  MAP@\(k)".padding(toLength: 29, withPad: " ", startingAt: 0) + f(r.mapAtK ?? 0),
                 "  NDCG@\(k)".padding(toLength: 29, withPad: " ", startingAt: 0) + f(r.ndcg ?? 0),
                 "  whole matches@10           \(f(r.wholeMatchAt10))",
                 "  precision within radius \(radius)  \(f(r.precisionWithinRadius))",
                 "  MAP within radius \(radius)        \(f(r.mapWithinRadius))",
                 "  precision@k / recall@k"]
    lines += zip(cutoffs, zip(r.precisionAtK, r.recallAtK)).map { String(format: "    k = %-6d %.4f / %.4f", $0, $1.0, $1.1) }
    if r.queriesWithoutRelevant > 0 { lines.append("  \(r.queriesWithoutRelevant) queries have no relevant item (AP 0)") }
    return lines.joined(separator: "\n")
  }

  /// The precision-recall and precision@k curves as SVG files in `folder`.
  public func writeCurves(_ result: Result, into folder: String, console: Console) throws {
    let (r, direction, cutoffs) = (result.report, result.direction, result.cutoffs)
    let name = SVGFiles.legend(result.retrieval, bits: r.bits, map: r.map), chance = SVGFiles.chance(r.mapChance)
    let pr = SVGPlot(title: "Precision-recall over Hamming radius (\(direction))", xLabel: "recall", yLabel: "precision",
                     series: [(name, zip(r.curveRecall, r.curvePrecision).map { ($0, $1) })], level: chance)
    let pk = SVGPlot(title: "Precision@k (\(direction))", xLabel: "k", yLabel: "precision",
                     series: [(name, zip(cutoffs, r.precisionAtK).map { (Double($0), $1) })], level: chance)
    for (file, plot) in [("pr-\(direction).svg", pr), ("precision-at-k-\(direction).svg", pk)] {
      try SVGFiles.write(plot.render(), named: file, into: folder, console: console)
    }
  }
}
