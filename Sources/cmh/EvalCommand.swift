// cmh eval: the paper-style table of one or more models on a corpus — MAP@all (beside the MAP of a
// random ranking) for Image→Text, Text→Image, Image→Image and Text→Text, NDCG@k, precision@k and
// precision and MAP within radius 2, one column
// per model (16/32/64 bits side by side); --json, --csv, and SVG precision-recall curves.

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Training

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "MAP and precision of trained models on a corpus's query and retrieval sets.",
    discussion: """
      Usage: cmh eval MODEL [MODEL ...] CORPUS. Relevance: query and item share a label. Ranking by Hamming distance, equal distances by item position; a query without a relevant item counts with AP 0. With --gallery BIG.cmh, the models encode the queries and BIG.cmh the retrieval set: small query models from `cmh distill` against the gallery model they were distilled for.

      Examples:
        cmh eval cmh-demo/model-64.cmh cmh-demo/shapes
        cmh eval m16.cmh m32.cmh m64.cmh corpora/mirflickr25k --svg plots --csv
      """)

  @Argument(help: "Model files, then the corpus directory.") var paths: [String]
  @OptionGroup var ranking: RankingOptions
  @OptionGroup var reranking: RerankOptions
  @Option(help: "Encode the retrieval set with this model (a gallery model) and the queries with each MODEL (small query models distilled against it).")
  var gallery: String?
  @Option(help: "Write precision-recall curves as SVG files into this folder.") var svg: String?
  @Flag(help: "Comma-separated values instead of a table.") var csv = false
  @Flag(help: "List every label's AP (default: the mean, each kind's mean and the three worst labels).") var perLabel = false
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard paths.count >= 2 else { throw ValidationError("give at least one model file and the corpus directory") }
  }

  var k: Int { ranking.k }
  var radius: Int { ranking.radius }

  struct Result {
    let model: String, gallery: String, bits: Int, rerank: RerankMethod, direction: Direction, report: RetrievalReport
    /// What the codes carry of each label, and the conjunctive text queries (text→image and text→text).
    let labels: LabelReport, conjunctive: ConjunctiveReport?
  }

  func run() throws {
    if let svg { try OutputCheck.folder(svg, option: "--svg") }
    let corpus = try Corpus.load(URL(fileURLWithPath: paths.last!))
    let splits = try ModelInputs.splits(corpus)
    var results = [Result]()
    let rankings = try reranking.rankings(allowingAll: true)
    let galleryModel = try gallery.map { try checkedModel($0, corpus: corpus) }
    let galleryPrint = galleryModel?.fingerprint()
    let galleryCodes = try galleryModel.map { try ModelInputs.codes($0, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", quiet: output.quiet) }
    for path in paths.dropLast() {
      let model = try checkedModel(path, corpus: corpus)
      if let galleryModel, let gallery, let galleryPrint {
        try QueryModels.check(model, path: path, gallery: gallery, fingerprint: galleryPrint, bits: galleryModel.spec.bits)
      }
      let q = try ModelInputs.codes(model, corpus: corpus, pairs: splits.query, label: "encoding queries", quiet: output.quiet)
      let r = try galleryCodes ?? ModelInputs.codes(model, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", quiet: output.quiet)
      let options = EvaluationOptions(mapAtK: k, cutoffs: [k], ndcgAtK: k, radius: radius)
      let info = corpus.info
      for ranking in rankings {
        let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, options: options, rerank: ranking.method, settings: ranking.settings)
        let labels = LabelEvaluation.perLabel(queries: q, retrieval: r, names: info.labels, kinds: info.labelKinds, rerank: ranking.method, settings: ranking.settings)
        let conjunctive = LabelEvaluation.conjunctive(model: model, info: info, queries: q, retrieval: r, rerank: ranking.method, settings: ranking.settings)
        results += reports.map { d, report in
          Result(model: path, gallery: gallery ?? path, bits: model.spec.bits, rerank: ranking.method, direction: d, report: report,
                 labels: labels.first { $0.direction == d }!, conjunctive: conjunctive.first { $0.direction == d })
        }
      }
    }
    print(render(results, corpus: corpus.info.name, order: SearchAnswer.order(rankings[0].method, rankings[0].settings)))
    fflush(stdout)  // the table before the "wrote" lines on stderr, also when both go to one pipe
    if svg != nil { try writeCurves(results) }
  }

  private func checkedModel(_ path: String, corpus: Corpus) throws -> CrossModalModel {
    let model = try ModelInputs.model(path)
    guard model.spec.labels.count == corpus.info.labels.count else {
      throw CommandError("\(path): trained with \(model.spec.labels.count) labels, the corpus has \(corpus.info.labels.count)")
    }
    return model
  }

  private func render(_ results: [Result], corpus: String, order: String) -> String {
    let f = { (x: Double) in String(format: "%.4f", x) }
    if output.json {
      return results.map { r in
        let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        return JSONLine([("direction", .string(r.direction.rawValue)), ("bits", .int(r.bits)), ("rerank", .string(r.rerank.rawValue)),
                         ("map", n(r.report.map)), ("map_chance", n(r.report.mapChance)), ("map_at_k", n(r.report.mapAtK ?? 0)),
                         ("ndcg_at_k", n(r.report.ndcg ?? 0)), ("precision_at_k", n(r.report.precisionAtK.first ?? 0)), ("k", .int(k)),
                         ("whole_match_at_10", n(r.report.wholeMatchAt10)),
                         ("precision_radius", n(r.report.precisionWithinRadius)), ("map_radius", n(r.report.mapWithinRadius)), ("radius", .int(radius)),
                         ("queries", .int(r.report.queries)), ("retrieval", .int(r.report.database)),
                         ("queries_without_relevant", .int(r.report.queriesWithoutRelevant)), ("model", .string(r.model)),
                         ("query_model", .string(r.model)), ("gallery_model", .string(r.gallery))] + LabelFields.json(r.labels, r.conjunctive)).text
      }.joined(separator: "\n")
    }
    if csv {
      return (["model,bits,rerank,direction,map,map_chance,map_at_\(k),ndcg_at_\(k),precision_at_\(k),whole_match_at_10,precision_radius_\(radius),map_radius_\(radius)"] + results.map {
        "\($0.model),\($0.bits),\($0.rerank),\($0.direction.rawValue),\(f($0.report.map)),\(f($0.report.mapChance)),\(f($0.report.mapAtK ?? 0)),\(f($0.report.ndcg ?? 0)),\(f($0.report.precisionAtK.first ?? 0)),\(f($0.report.wholeMatchAt10)),\(f($0.report.precisionWithinRadius)),\(f($0.report.mapWithinRadius))"
      }).joined(separator: "\n")
    }
    // Columns are named by code length, or by model file when two models share one; with several
    // re-rankings, each model has one column per re-ranking.
    let bits = paths.dropLast().map { path in results.first { $0.model == path }!.bits }
    let models = Set(bits).count == bits.count ? bits.map { "\($0) bits" }
      : paths.dropLast().map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    let methods = RerankMethod.allCases.filter { m in results.contains { $0.rerank == m } }.map(\.rawValue)
    let names = methods.count == 1 ? models : models.flatMap { m in methods.map { "\(m) \($0)" } }
    let columns = { (d: Direction) in results.filter { $0.direction == d } }
    let width = max(9, names.map(\.count).max() ?? 0)
    let header = "task".padding(toLength: 14, withPad: " ", startingAt: 0) + names.map { Self.right($0, width) }.joined(separator: " ")
    var lines = ["\(corpus): \(results.first?.report.queries ?? 0) queries × \(results.first?.report.database ?? 0) items (order: \(methods.count == 1 ? order : "per column"))"]
    for (title, value) in [("MAP@all", { (r: RetrievalReport) in r.map }), ("NDCG@\(k) (gain: shared labels)", { $0.ndcg ?? 0 }),
                           ("MAP@\(k)", { $0.mapAtK ?? 0 }), ("precision@\(k)", { $0.precisionAtK.first ?? 0 }),
                           ("whole matches@10 (every label of the query)", { $0.wholeMatchAt10 }),
                           ("precision within radius \(radius)", { $0.precisionWithinRadius }),
                           ("MAP within radius \(radius)", { $0.mapWithinRadius })] {
      // MAP@all stands beside its chance level: the MAP of a random ranking of the same items.
      let chance = title == "MAP@all"
      lines += ["", title, header + (chance ? " " + Self.right("chance", width) : "")]
      for d in Direction.allCases {
        let row = columns(d)
        let cells = row.map { Self.right(f(value($0.report)), width) } + (chance ? [Self.right(f(row.first?.report.mapChance ?? 0), width)] : [])
        lines.append(d.title.padding(toLength: 14, withPad: " ", startingAt: 0) + cells.joined(separator: " "))
      }
    }
    lines += LabelFields.table(results.map { ($0.direction, $0.labels, $0.conjunctive) }, columns: names.count, header: header, width: width,
                               perLabel: perLabel)
    let missing = results.map(\.report.queriesWithoutRelevant).max() ?? 0
    if missing > 0 { lines.append("\n\(missing) queries have no relevant item (AP 0)") }
    return lines.joined(separator: "\n")
  }

  static func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }

  private func writeCurves(_ results: [Result]) throws {
    guard let svg else { return }
    for d in Direction.allCases {
      let shown = results.filter { $0.direction == d && $0.rerank == results[0].rerank }
      let series = shown.map { r in
        (SVGFiles.legend(r.model, bits: r.bits, map: r.report.map), zip(r.report.curveRecall, r.report.curvePrecision).map { ($0, $1) })
      }
      let plot = SVGPlot(title: "Precision-recall over Hamming radius, \(d.title)", xLabel: "recall", yLabel: "precision", series: series,
                         level: shown.first.map { SVGFiles.chance($0.report.mapChance) })
      try SVGFiles.write(plot.render(), named: "pr-\(d.rawValue).svg", into: svg, quiet: output.quiet)
    }
  }
}
