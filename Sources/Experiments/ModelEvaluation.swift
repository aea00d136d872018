// ModelEvaluation: the paper-style evaluation of one or more models on a corpus (`cmh eval`) —
// MAP@all beside the MAP of a random ranking for Image→Text, Text→Image, Image→Image and
// Text→Text, NDCG@k, precision@k, precision and MAP within a radius, what the codes carry of each
// label, one column per model — as a table, JSON lines, CSV, and SVG precision-recall curves.

import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Training

public struct ModelEvaluation {
  public var k: Int, radius: Int
  /// List every label's AP in the table (default: the mean, each kind's and the three worst).
  public var perLabel = false

  public init(k: Int, radius: Int) { (self.k, self.radius) = (k, radius) }

  public struct Result {
    public let model: String, gallery: String, bits: Int, rerank: RerankMethod, direction: Direction, report: RetrievalReport
    /// What the codes carry of each label, a text naming one label and the conjunctive text queries
    /// (the last two text→image and text→text).
    public let labels: LabelReport, named: LabelReport?, conjunctive: ConjunctiveReport?
  }

  /// Every model of `paths` on `corpus` in every ranking; with a `gallery` model, the models encode
  /// the queries and it the retrieval set.
  public func run(_ paths: [String], corpus: Corpus, gallery: String?, rankings: [Ranking], console: Console) throws -> [Result] {
    let splits = try corpus.requireSplits()
    var results = [Result]()
    let galleryModel = try gallery.map { try checkedModel($0, corpus: corpus) }
    let galleryPrint = galleryModel?.fingerprint()
    let galleryCodes = try galleryModel.map { try CrossModalEvaluation.codes($0, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", console: console) }
    for path in paths {
      let model = try checkedModel(path, corpus: corpus)
      if let galleryModel, let gallery, let galleryPrint {
        try QueryModels.check(model, path: path, gallery: gallery, fingerprint: galleryPrint, bits: galleryModel.spec.bits)
      }
      let q = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.query, label: "encoding queries", console: console)
      let r = try galleryCodes ?? CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", console: console)
      let options = EvaluationOptions(mapAtK: k, cutoffs: [k], ndcgAtK: k, radius: radius)
      let info = corpus.info
      for ranking in rankings {
        let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, options: options, rerank: ranking.method, settings: ranking.settings)
        let labels = LabelEvaluation.perLabel(queries: q, retrieval: r, names: info.labels, kinds: info.labelKinds, rerank: ranking.method, settings: ranking.settings)
        let named = LabelEvaluation.namedAlone(model: model, names: info.labels, kinds: info.labelKinds, items: r, rerank: ranking.method, settings: ranking.settings)
        let conjunctive = LabelEvaluation.conjunctive(model: model, info: info, queries: q, retrieval: r, rerank: ranking.method, settings: ranking.settings)
        results += reports.map { d, report in
          Result(model: path, gallery: gallery ?? path, bits: model.spec.bits, rerank: ranking.method, direction: d, report: report,
                 labels: labels.first { $0.direction == d }!, named: named.first { $0.direction == d },
                 conjunctive: conjunctive.first { $0.direction == d })
        }
      }
    }
    return results
  }

  private func checkedModel(_ path: String, corpus: Corpus) throws -> CrossModalModel {
    let model = try CrossModalModel.load(from: URL(fileURLWithPath: path), fixed: true)
    guard model.spec.labels.count == corpus.info.labels.count else {
      throw TrainingError(description: "\(path): trained with \(model.spec.labels.count) labels, the corpus has \(corpus.info.labels.count)")
    }
    return model
  }

  /// JSON lines, one per model, ranking and direction.
  public func json(_ results: [Result]) -> String {
      results.map { r in
        let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        return JSONLine([("direction", .string(r.direction.rawValue)), ("bits", .int(r.bits)), ("rerank", .string(r.rerank.rawValue)),
                         ("map", n(r.report.map)), ("map_chance", n(r.report.mapChance)), ("map_at_k", n(r.report.mapAtK ?? 0)),
                         ("ndcg_at_k", n(r.report.ndcg ?? 0)), ("precision_at_k", n(r.report.precisionAtK.first ?? 0)), ("k", .int(k)),
                         ("whole_match_at_10", n(r.report.wholeMatchAt10)),
                         ("precision_radius", n(r.report.precisionWithinRadius)), ("map_radius", n(r.report.mapWithinRadius)), ("radius", .int(radius)),
                         ("queries", .int(r.report.queries)), ("retrieval", .int(r.report.database)),
                         ("queries_without_relevant", .int(r.report.queriesWithoutRelevant)), ("model", .string(r.model)),
                         ("query_model", .string(r.model)), ("gallery_model", .string(r.gallery))] + LabelFields.json(r.labels, named: r.named, r.conjunctive)).text
      }.joined(separator: "\n")
  }

  public func csv(_ results: [Result]) -> String {
    let f = { (x: Double) in String(format: "%.4f", x) }
    return (["model,bits,rerank,direction,map,map_chance,map_at_\(k),ndcg_at_\(k),precision_at_\(k),whole_match_at_10,precision_radius_\(radius),map_radius_\(radius)"] + results.map {
        "\($0.model),\($0.bits),\($0.rerank),\($0.direction.rawValue),\(f($0.report.map)),\(f($0.report.mapChance)),\(f($0.report.mapAtK ?? 0)),\(f($0.report.ndcg ?? 0)),\(f($0.report.precisionAtK.first ?? 0)),\(f($0.report.wholeMatchAt10)),\(f($0.report.precisionWithinRadius)),\(f($0.report.mapWithinRadius))"
      }).joined(separator: "\n")
  }

  /// The table of `corpus` for the models of `paths`, in the order `order` names.
  public func table(_ results: [Result], paths: [String], corpus: String, order: String) -> String {
    let f = { (x: Double) in String(format: "%.4f", x) }
    // Columns are named by code length, or by model file when two models share one; with several
    // re-rankings, each model has one column per re-ranking.
    let bits = paths.map { path in results.first { $0.model == path }!.bits }
    let models = Set(bits).count == bits.count ? bits.map { "\($0) bits" }
      : paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    let methods = RerankMethod.allCases.filter { m in results.contains { $0.rerank == m } }.map(\.rawValue)
    let names = methods.count == 1 ? models : models.flatMap { m in methods.map { "\(m) \($0)" } }
    let columns = { (d: Direction) in results.filter { $0.direction == d } }
    let width = max(9, names.map(\.count).max() ?? 0)
    let header = "task".padding(toLength: 14, withPad: " ", startingAt: 0) + names.map { $0.rightAligned(width) }.joined(separator: " ")
    var lines = ["\(corpus): \(results.first?.report.queries ?? 0) queries × \(results.first?.report.database ?? 0) items (order: \(methods.count == 1 ? order : "per column"))"]
    for (title, value) in [("MAP@all", { (r: RetrievalReport) in r.map }), ("NDCG@\(k) (gain: shared labels)", { $0.ndcg ?? 0 }),
                           ("MAP@\(k)", { $0.mapAtK ?? 0 }), ("precision@\(k)", { $0.precisionAtK.first ?? 0 }),
                           ("whole matches@10 (every label of the query)", { $0.wholeMatchAt10 }),
                           ("precision within radius \(radius)", { $0.precisionWithinRadius }),
                           ("MAP within radius \(radius)", { $0.mapWithinRadius })] {
      // MAP@all stands beside its chance level: the MAP of a random ranking of the same items.
      let chance = title == "MAP@all"
      lines += ["", title, header + (chance ? " " + "chance".rightAligned(width) : "")]
      for d in Direction.allCases {
        let row = columns(d)
        let cells = row.map { f(value($0.report)).rightAligned(width) } + (chance ? [f(row.first?.report.mapChance ?? 0).rightAligned(width)] : [])
        lines.append(d.title.padding(toLength: 14, withPad: " ", startingAt: 0) + cells.joined(separator: " "))
      }
    }
    lines += LabelFields.table(results.map { ($0.direction, $0.labels, $0.named, $0.conjunctive) }, columns: names.count, header: header, width: width,
                               perLabel: perLabel)
    let missing = results.map(\.report.queriesWithoutRelevant).max() ?? 0
    if missing > 0 { lines.append("\n\(missing) queries have no relevant item (AP 0)") }
    return lines.joined(separator: "\n")
  }

  /// Precision-recall curves over Hamming radius, one SVG file a direction, into `svg` (under
  /// mpirun by rank 0).
  public func writeCurves(_ results: [Result], into svg: String, console: Console) throws {
    guard MPI.world?.isRoot ?? true else { return }
    for d in Direction.allCases {
      let shown = results.filter { $0.direction == d && $0.rerank == results[0].rerank }
      let series = shown.map { r in
        (SVGFiles.legend(r.model, bits: r.bits, map: r.report.map), zip(r.report.curveRecall, r.report.curvePrecision).map { ($0, $1) })
      }
      let plot = SVGPlot(title: "Precision-recall over Hamming radius, \(d.title)", xLabel: "recall", yLabel: "precision", series: series,
                         level: shown.first.map { SVGFiles.chance($0.report.mapChance) })
      try SVGFiles.write(plot.render(), named: "pr-\(d.rawValue).svg", into: svg, console: console)
    }
  }
}
