// cmh experiment table: the table a cross-modal hashing paper prints — MAP@all Image→Text and
// Text→Image for every corpus, code length and loss — trained and evaluated in one resumable
// command, with reference and published figures beside the measured ones.

import ArgumentParser
import CauchyLoss
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Tensor
import Training

struct TableExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "table",
    abstract: "Train every (corpus, bits, loss) model, evaluate them, and print the MAP table; resumable.",
    discussion: """
      Usage: cmh experiment table CORPUS [CORPUS ...] --out DIR. Each model is trained with `cmh train`'s defaults \
      (and the training options given here) into DIR/NAME-LOSS-BITS.cmh; a model already there is kept, one with a \
      checkpoint resumes. Ctrl-C saves a checkpoint; the same command continues. Each finished run appends its \
      settings, time and machine to DIR/runs.jsonl. The table (Hamming order, equal distances by item position) is \
      printed and written to DIR/table.md.

      Example: cmh experiment table corpora/wiki-like corpora/mir-like --bits 16,32,64 --loss cauchy,dcmh --out table --reference ref.jsonl
      """)

  @Argument(help: "Corpus directories (one without splits gets the standard protocol's, seed 1).") var corpora: [String]
  @Option(help: "Code lengths, comma-separated.") var bits = "16,32,64"
  @Option(help: "Losses, comma-separated: cauchy, dcmh.") var loss = "cauchy,dcmh"
  @Option(help: "Folder for the models, checkpoints, logs, runs.jsonl and table.md.") var out: String
  @Option(help: """
    JSON lines of figures to show beside the measured ones, as `ref_cmh.py` prints them: {"data": CORPUS-NAME, "loss", "bits", "i2t", "t2i"} \
    ("corpus" for "data"; "label" names the row, default the file's name). Repeatable.
    """)
  var reference: [String] = []
  @Flag(help: "Comma-separated values instead of Markdown.") var csv = false
  @OptionGroup var model: ModelOptions
  @OptionGroup var training: TrainingOptions
  @OptionGroup var output: OutputOptions

  func validate() throws {
    for b in try bitList() { try ModelOptions.check(bits: b) }
    _ = try losses()
  }

  func bitList() throws -> [Int] { try ModelOptions.sizes(bits, "--bits") }

  func losses() throws -> [LossKind] {
    try loss.split(separator: ",").map { name in
      guard let kind = LossKind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("--loss takes cauchy and/or dcmh separated by commas, got \"\(loss)\"")
      }
      return kind
    }
  }

  func run() throws {
    Console.lineBuffered()
    let folder = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let names = ExperimentPlan.names(corpora)
    var loaded = [String: Corpus]()
    for (name, path) in zip(names, corpora) {
      let (corpus, note) = try ExperimentPlan.withSplits(try Corpus.load(URL(fileURLWithPath: path)))
      if let note { say(note) }
      loaded[name] = corpus
    }
    let references = try ReferenceFigures.read(reference)
    let plan = ExperimentPlan.runs(corpora: names, bits: try bitList(), losses: try losses())
    try train(plan, loaded, in: folder)
    let table = ExperimentTable(rows: try evaluate(plan, loaded, in: folder), references: references,
                                published: names.map { ($0, PublishedFigures.matching(loaded[$0]!)) })
    try Data((table.markdown() + "\n").utf8).write(to: folder.appendingPathComponent("table.md"), options: .atomic)
    print(output.json ? table.jsonLines() : csv ? table.csv() : table.markdown())
  }

  private func say(_ message: String) {
    if !output.quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
  }

  /// Trains the runs whose model is not there yet, resuming those with a checkpoint.
  private func train(_ plan: [ExperimentRun], _ corpora: [String: Corpus], in folder: URL) throws {
    let pending = plan.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0.modelName).path) }
    say("\(plan.count) runs, \(plan.count - pending.count) already trained in \(folder.path)")
    let clock = PlanClock(runs: pending.count)
    for (i, run) in pending.enumerated() {
      let eta = clock.remaining.map { ", about \(ProgressBar.clock($0)) left" } ?? ""
      say("\nrun \(i + 1) of \(pending.count): \(run.corpus), \(run.bits) bits, \(run.loss.rawValue) loss\(eta)")
      let started = Date()
      try train(run, corpus: corpora[run.corpus]!, in: folder, plan: clock)
      clock.finished(after: Date().timeIntervalSince(started))
    }
  }

  private func train(_ plan: ExperimentRun, corpus: Corpus, in folder: URL, plan clock: PlanClock) throws {
    let modelURL = folder.appendingPathComponent(plan.modelName)
    let checkpoint = URL(fileURLWithPath: modelURL.path + ".ckpt"), log = URL(fileURLWithPath: modelURL.path + ".log.jsonl")
    for url in [modelURL, checkpoint] { AtomicFile.removeStaleTemporaries(of: url) }
    let session = RunSession(console: output.console, checkpoint: checkpoint, log: log)
    session.resumeHint = "run the same command again to continue"
    session.plan = clock
    session.epochRowsAreProgress = true
    let run: TrainingRun
    if FileManager.default.fileExists(atPath: checkpoint.path) {
      run = try session.prepareTraining { try TrainingRun(corpus: corpus, resuming: checkpoint, streamImages: true, progress: $0) }
      say("resuming at epoch \(run.loop.epoch + 1) of \(run.trainer.settings.epochs) from \(checkpoint.path)")
    } else {
      try? FileManager.default.removeItem(at: log)
      let spec = try model.spec(for: corpus, bits: plan.bits)
      run = try session.prepareTraining { try TrainingRun(corpus: corpus, spec: spec, settings: training.settings(for: spec, loss: plan.loss), streamImages: true, progress: $0) }
    }
    try session.train(run)
    let trained = run.finishedModel()
    try trained.save(to: modelURL)
    let seconds = Self.trainingSeconds(log)
    let record = ExperimentRecord(run: plan, corpusPath: corpus.directory.path, model: modelURL.path, spec: trained.spec, settings: run.trainer.settings,
                                  seconds: seconds, pairs: run.trainer.count, epochs: run.loop.epoch, machine: MachineInfo.current(), finished: Date())
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    JSONLine.append(String(decoding: try encoder.encode(record), as: UTF8.self), to: folder.appendingPathComponent("runs.jsonl"))
  }

  /// The training time of a run over all its processes: the epochs' seconds in its log.
  static func trainingSeconds(_ log: URL) -> Double {
    guard let text = try? String(contentsOf: log, encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").compactMap { line in
      (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seconds"] as? Double
    }.reduce(0, +)
  }

  /// Every model's MAP@all (with chance), NDCG@100, MAP within radius 2 and per-label MAP, both
  /// directions, and its conjunctive text queries (Text→Image).
  private func evaluate(_ plan: [ExperimentRun], _ corpora: [String: Corpus], in folder: URL) throws -> [ExperimentTable.Row] {
    try plan.map { run in
      let corpus = corpora[run.corpus]!, splits = corpus.splits!
      let path = folder.appendingPathComponent(run.modelName).path
      let trained = try ModelInputs.model(path)
      let q = try ModelInputs.codes(trained, corpus: corpus, pairs: splits.query, label: "\(run.modelName): queries", quiet: output.quiet)
      let r = try ModelInputs.codes(trained, corpus: corpus, pairs: splits.retrieval, label: "\(run.modelName): retrieval set", quiet: output.quiet)
      let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i],
                                                  options: EvaluationOptions(cutoffs: [100], ndcgAtK: 100, radius: 2))
      let info = corpus.info
      let labels = LabelEvaluation.perLabel(queries: q, retrieval: r, names: info.labels, kinds: info.labelKinds, directions: [.i2t, .t2i])
      let conjunctive = LabelEvaluation.conjunctive(model: trained, info: info, queries: q, retrieval: r)
      return ExperimentTable.Row(run: run, model: path, i2t: reports[0].1, t2i: reports[1].1, labelMAP: labels.map(\.mean),
                                 conjunctive: conjunctive.first { $0.direction == .t2i }?.allAt10)
    }
  }
}
