// cmh demo: the whole tool on the built-in corpus — generate it, train 64-bit codes, evaluate
// both directions, encode the retrieval set, and run one text→image and one image→text search
// with HTML result pages.

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Tensor
import Training

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Generate the shapes corpus, train 64-bit codes, evaluate and search (what `make demo` runs).",
    discussion: """
      Examples:
        cmh demo
        cmh demo --dir /tmp/demo32 --bits 32 --epochs 5
      """)

  @Option(help: "Working directory for the corpus, model, indexes and result pages.") var dir = "cmh-demo"
  @Option(help: "Code length in bits.") var bits = 64
  @Option(help: "Training epochs.") var epochs = ShapesRecipe.epochs
  @Option(help: "Similarity loss: cauchy or dcmh.") var loss = LossKind.cauchy
  @Option(help: "Seed for the corpus, the weights and the orders.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func run() throws {
    Console.lineBuffered()
    let started = Date()
    if !output.json { say(MachineReport.kernelLine(MachineInfo.current())) }
    let folder = URL(fileURLWithPath: dir)
    let corpus = try ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus"), seed: seed, quiet: output.quiet)
    say("cmh demo: \(corpus.pairs.count) generated pairs in \(folder.path)/corpus — \(corpus.splits!.train.count) for training, "
        + "\(corpus.splits!.query.count) queries, \(corpus.splits!.retrieval.count) to search; \(Threads.count) threads\n")

    let modelURL = folder.appendingPathComponent("model-\(bits).cmh")
    let session = RunSession(console: output.console, checkpoint: folder.appendingPathComponent("model-\(bits).cmh.ckpt"),
                             log: folder.appendingPathComponent("model-\(bits).cmh.log.jsonl"))
    try? FileManager.default.removeItem(at: folder.appendingPathComponent("model-\(bits).cmh.log.jsonl"))
    let spec = try ShapesRecipe.spec(corpus, bits: bits)
    let run = try session.prepareTraining { try TrainingRun(corpus: corpus, spec: spec, settings: ShapesRecipe.settings(epochs: epochs, loss: loss, seed: seed), progress: $0) }
    try session.train(run)
    let model = run.finishedModel()
    try model.save(to: modelURL)

    let splits = corpus.splits!
    let q = try ModelInputs.codes(model, corpus: corpus, pairs: splits.query, label: "encoding queries", quiet: output.quiet)
    let r = try ModelInputs.codes(model, corpus: corpus, pairs: splits.retrieval, label: "encoding retrieval set", quiet: output.quiet)
    let ranking = Ranking.standard()
    let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, options: EvaluationOptions(cutoffs: [100], ndcgAtK: 100),
                                                rerank: ranking.method, settings: ranking.settings)
    say("\nMAP@all, \(splits.query.count) queries × \(splits.retrieval.count) items, \(bits) bits (order: \(SearchAnswer.order(ranking.method, ranking.settings))):")
    for (direction, report) in reports {
      if output.json {
        let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        print(JSONLine([("direction", .string(direction.rawValue)), ("bits", .int(bits)), ("map", n(report.map)), ("map_chance", n(report.mapChance)),
                        ("ndcg_at_k", n(report.ndcg ?? 0)), ("precision_at_k", n(report.precisionAtK[0])), ("k", .int(100)),
                        ("queries", .int(report.queries)), ("retrieval", .int(report.database))]).text)
      } else {
        print(String(format: "  %@  %.4f   (chance %.4f; NDCG@100 %.4f, precision@100 %.4f)", direction.title.padding(toLength: 12, withPad: " ", startingAt: 0),
                     report.map, report.mapChance, report.ndcg ?? 0, report.precisionAtK[0]))
      }
    }

    showWhatCodesCarry(model, corpus: corpus, queries: q, retrieval: r, ranking: ranking)

    let indexFolder = folder.appendingPathComponent("index")
    try FileManager.default.createDirectory(at: indexFolder, withIntermediateDirectories: true)
    let fingerprint = model.fingerprint()
    for (modality, codes) in [(Modality.image, r.image), (.text, r.text)] {
      try IndexFile.write(codes: codes, modality: modality, items: IndexItems.of(corpus, splits.retrieval, modality: modality), outputs: r.stored(modality),
                          modelFingerprint: fingerprint, to: indexFolder.appendingPathComponent("\(modality).cmhindex"))
    }
    try searches(model: modelURL, index: indexFolder, corpus: corpus, folder: folder)
    say(String(format: "\ndone in %@; the model is %@, the indexes are in %@", ProgressBar.clock(Date().timeIntervalSince(started)), modelURL.path, indexFolder.path))
  }

  /// The conjunctive text queries (label names of three kinds): what a user typing "red circle
  /// grass" gets, which MAP@all does not show.
  private func showWhatCodesCarry(_ model: CrossModalModel, corpus: Corpus, queries q: CodeSet, retrieval r: CodeSet, ranking: Ranking) {
    let reports = LabelEvaluation.conjunctive(model: model, info: corpus.info, queries: q, retrieval: r, rerank: ranking.method, settings: ranking.settings)
    guard let t2i = reports.first(where: { $0.direction == .t2i }) else { return }
    if output.json {
      print(JSONLine([("direction", .string("t2i"))] + LabelFields.conjunctive(t2i)).text)
      return
    }
    let kinds = t2i.kindAt10.map { String(format: "the %@ %.2f", $0.kind, $0.share) }.joined(separator: ", ")
    say(String(format: "\n%d text queries of label names (\"circle red grass\" and the like), Text→Image: every named label in %.2f of the top 10; %@",
               t2i.queries, t2i.allAt10, kinds))
  }

  /// One search in each direction, printed and written as HTML pages.
  private func searches(model: URL, index: URL, corpus: Corpus, folder: URL) throws {
    let encoder = try QueryEncoder(modelAt: model.path)
    let open = { (modality: Modality) -> IndexFile in
      let file = try IndexFile.verified(index.appendingPathComponent("\(modality).cmhindex"))
      try encoder.check(file, modality: modality)
      return file
    }
    let text = "a red circle on the grass"
    let query = corpus.pairs[corpus.splits!.query[0]]
    let image = corpus.imageURL(query)!
    let pages = (folder.appendingPathComponent("text2image.html").path, folder.appendingPathComponent("image2text.html").path)
    say("\ncmh search text2image \(model.lastPathComponent) index/image.cmhindex \"\(text)\" -k 5")
    let encoded = try encoder.encode(text: text)
    // Five results on the terminal, twenty on the page.
    try SearchOutput.show(try Searcher.search(encoded, text: text, in: try open(.image), k: 20),
                          json: output.json, quiet: true, html: pages.0, printed: 5)
    let labels = query.labels.map { corpus.info.labels[$0] }
    say("\ncmh search image2text \(model.lastPathComponent) index/text.cmhindex \(image.path) -k 5   (labels of the query: \(labels.joined(separator: ", ")))")
    try SearchOutput.show(try Searcher.search(try encoder.encode(imageFile: image), in: try open(.text), k: 20, query: .image(image.path), marking: Set(labels)),
                          json: output.json, quiet: true, html: pages.1, printed: 5)
    say("\nresult pages: \(pages.0)\n              \(pages.1)")
    say("\nto search from a web page: cmh serve --model \(model.path) --index \(index.path)")
  }

  private func say(_ line: String) { if !output.json { print(line) } }
}

/// The settings the demo, the README's table and `cmh bench train` use on the shapes corpus:
/// images at 32² through a half-width compact10, text learning rate 1e-4 (at 3e-4 the text
/// codes of this small corpus collapse onto a few patterns), batch 64.
enum ShapesRecipe {
  static let epochs = 15

  /// The generated corpus in `directory`, made unless one of the same size and seed is there.
  static func corpus(in directory: URL, pairs: Int = 6000, imbalance: Double = 1, seed: UInt64, quiet: Bool) throws -> Corpus {
    let settings = ShapesCorpusSettings(pairs: pairs, imbalance: imbalance, seed: seed)
    if let existing = try? Corpus.load(directory), existing.splits != nil, existing.info.source == ShapesCorpus.source(settings) {
      return existing
    }
    let progress = ProgressBar(total: pairs, label: "make-shapes", quiet: quiet)
    defer { progress.finish() }
    var corpus = try ShapesCorpus.generate(into: directory, settings: settings) { progress.update($0) }
    let sizes = Splits.protocolSizes(realPairs: corpus.pairs.count)
    corpus.splits = try Splits.protocolSplit(corpus.pairs, queries: sizes.queries, train: sizes.train, seed: seed)
    try corpus.write(to: directory)
    return corpus
  }

  static func spec(_ corpus: Corpus, bits: Int) throws -> ModelSpec {
    try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: bits, architecture: .compact10, inputSize: 32, width: 32)
  }

  static func settings(epochs: Int, loss: LossKind, seed: UInt64) -> TrainingSettings {
    var s = TrainingSettings()
    s.epochs = epochs
    s.loss = loss
    s.similarity = TrainingDefaults.similarity(for: loss)
    s.seed = seed
    s.batchSize = 64
    s.textLearningRate = 1e-4
    return s
  }
}
