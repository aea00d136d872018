// Demo: the whole tool on the built-in corpus (`cmh demo`, `make demo`) — generate it, train
// 64-bit codes, evaluate both directions and what the codes carry of each label, encode the
// retrieval set, and run one text→image and one image→text search with HTML result pages.

import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Tensor
import Training

public enum Demo {
  /// Runs the demo in `folder` with `bits`-bit codes, `labelEpochs` then `epochs` epochs, `loss` and `seed`.
  public static func run(in folder: URL, bits: Int, epochs: Int, labelEpochs: Int = ShapesRecipe.labelEpochs, loss: LossKind, seed: UInt64,
                         console output: Console) throws {
    let started = Date()
    output.text(MachineReport.kernelLine(MachineInfo.current()))
    let corpus = try ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus"), seed: seed, console: output)
    output.text("cmh demo: \(corpus.pairs.count) generated pairs in \(folder.path)/corpus — \(corpus.splits!.train.count) for training, "
        + "\(corpus.splits!.query.count) queries, \(corpus.splits!.retrieval.count) to search; \(Threads.count) threads\n")

    let modelURL = folder.appendingPathComponent("model-\(bits).cmh")
    let session = RunSession(console: output, checkpoint: folder.appendingPathComponent("model-\(bits).cmh.ckpt"),
                             log: folder.appendingPathComponent("model-\(bits).cmh.log.jsonl"))
    try? FileManager.default.removeItem(at: folder.appendingPathComponent("model-\(bits).cmh.log.jsonl"))
    let spec = try ShapesRecipe.spec(corpus, bits: bits)
    let run = try session.prepareTraining { try TrainingRun(corpus: corpus, spec: spec, settings: ShapesRecipe.settings(epochs: epochs, loss: loss, seed: seed, labelEpochs: labelEpochs),
                                                                        progress: $0) }
    try session.train(run)
    let model = run.finishedModel()
    try model.save(to: modelURL)

    let splits = corpus.splits!
    let q = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.query, label: "encoding queries", console: output)
    let r = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", console: output)
    let ranking = Ranking.standard()
    let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, options: EvaluationOptions(cutoffs: [100], ndcgAtK: 100),
                                                rerank: ranking.method, settings: ranking.settings)
    output.text("\nMAP@all, \(splits.query.count) queries × \(splits.retrieval.count) items, \(bits) bits (order: \(SearchAnswer.order(ranking.method, ranking.settings))):")
    for (direction, report) in reports {
      if output.json {
        let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        output.record(JSONLine([("direction", .string(direction.rawValue)), ("bits", .int(bits)), ("map", n(report.map)), ("map_chance", n(report.mapChance)),
                        ("ndcg_at_k", n(report.ndcg ?? 0)), ("precision_at_k", n(report.precisionAtK[0])), ("k", .int(100)),
                        ("queries", .int(report.queries)), ("retrieval", .int(report.database))]))
      } else {
        output.result(String(format: "  %@  %.4f   (chance %.4f; NDCG@100 %.4f, precision@100 %.4f)", direction.title.padding(toLength: 12, withPad: " ", startingAt: 0),
                     report.map, report.mapChance, report.ndcg ?? 0, report.precisionAtK[0]))
      }
    }

    showWhatCodesCarry(model, corpus: corpus, queries: q, retrieval: r, ranking: ranking, console: output)

    let indexFolder = folder.appendingPathComponent("index")
    try FileManager.default.createDirectory(at: indexFolder, withIntermediateDirectories: true)
    let fingerprint = model.fingerprint()
    for modality in [Modality.image, .text] {
      try CorpusIndexes.write(r, modality: modality, corpus: corpus, pairs: splits.retrieval, fingerprint: fingerprint,
                              to: indexFolder.appendingPathComponent("\(modality).cmhindex"))
    }
    try searches(model: modelURL, index: indexFolder, corpus: corpus, folder: folder, console: output)
    output.text(String(format: "\ndone in %@; the model is %@, the indexes are in %@", ProgressBar.clock(Date().timeIntervalSince(started)), modelURL.path, indexFolder.path))
  }

  /// The conjunctive text queries (label names of three kinds) and a search for each label's name:
  /// what a user typing "red circle grass" or "circle" gets, which MAP@all does not show.
  private static func showWhatCodesCarry(_ model: CrossModalModel, corpus: Corpus, queries q: CodeSet, retrieval r: CodeSet, ranking: Ranking, console output: Console) {
    let info = corpus.info
    let reports = LabelEvaluation.conjunctive(model: model, info: info, queries: q, retrieval: r, rerank: ranking.method, settings: ranking.settings)
    let named = LabelEvaluation.namedAlone(model: model, names: info.labels, kinds: info.labelKinds, items: r, directions: [.t2i],
                                           rerank: ranking.method, settings: ranking.settings).first
    guard let t2i = reports.first(where: { $0.direction == .t2i }) else { return }
    if output.json {
      output.record(JSONLine([("direction", .string("t2i"))] + (named.map(LabelFields.named) ?? []) + LabelFields.conjunctive(t2i)))
      return
    }
    let kinds = t2i.kindAt10.map { String(format: "the %@ %.2f", $0.kind, $0.share) }.joined(separator: ", ")
    output.text(String(format: "\n%d text queries of label names (\"circle red grass\" and the like), Text→Image: every named label in %.2f of the top 10; %@",
               t2i.queries, t2i.allAt10, kinds))
    if let named {
      let worst = named.worst(2).map { String(format: "%@ %.2f", $0.name, $0.ap) }.joined(separator: ", ")
      output.text(String(format: "a search for one label's name (\"circle\", \"sky\"), Text→Image: AP %.2f over the %d labels (lowest: %@)",
                         named.mean, named.labels.count, worst))
    }
  }

  /// One search in each direction, printed and written as HTML pages.
  private static func searches(model: URL, index: URL, corpus: Corpus, folder: URL, console output: Console) throws {
    let encoder = try QueryEncoder(modelAt: model.path)
    let open = { (modality: Modality) in try encoder.openIndex(index.appendingPathComponent("\(modality).cmhindex"), modality: modality) }
    let text = "a red circle on the grass"
    let query = corpus.pairs[corpus.splits!.query[0]]
    let image = corpus.imageURL(query)!
    let pages = (folder.appendingPathComponent("text2image.html").path, folder.appendingPathComponent("image2text.html").path)
    output.text("\ncmh search text2image \(model.lastPathComponent) index/image.cmhindex \"\(text)\" -k 5")
    let encoded = try encoder.encode(text: text)
    // Five results on the terminal, twenty on the page.
    try AnswerOutput.show(try Searcher.search(encoded, text: text, in: try open(.image), k: 20),
                          console: Console(json: output.json, quiet: true), html: pages.0, printed: 5)
    let labels = query.labels.map { corpus.info.labels[$0] }
    output.text("\ncmh search image2text \(model.lastPathComponent) index/text.cmhindex \(image.path) -k 5   (labels of the query: \(labels.joined(separator: ", ")))")
    try AnswerOutput.show(try Searcher.search(try encoder.encode(imageFile: image), in: try open(.text), k: 20, query: .image(image.path), marking: Set(labels)),
                          console: Console(json: output.json, quiet: true), html: pages.1, printed: 5)
    output.text("\nresult pages: \(pages.0)\n              \(pages.1)")
    output.text("\nto search from a web page: cmh serve --model \(model.path) --index \(index.path)")
  }

}

