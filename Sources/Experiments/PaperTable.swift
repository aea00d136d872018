// PaperTable: the table a cross-modal hashing paper prints (`cmh experiment table`) — MAP@all
// Image→Text and Text→Image for every corpus, code length and loss, trained and evaluated in one
// resumable run (a model already there is kept, one with a checkpoint resumes; each finished run
// appends its settings, time and machine to runs.jsonl), with reference and published figures
// beside the measured ones.

import Corpus
import Foundation
import Hashing
import Model
import Platform
import Training

public struct PaperTable {
  public var corpora: [String], bits: [Int], losses: [LossKind]
  /// Folder of the models, checkpoints, logs, runs.jsonl and table.md.
  public var folder: URL
  /// Files of reference figures (JSON lines as ref_cmh.py prints them).
  public var references: [String] = []
  /// The spec of a new model for a corpus and code length, and its training settings.
  public var spec: (Corpus, Int) throws -> ModelSpec
  public var settings: (ModelSpec, LossKind, Corpus) -> TrainingSettings

  public init(corpora: [String], bits: [Int], losses: [LossKind], folder: URL, references: [String] = [],
              spec: @escaping (Corpus, Int) throws -> ModelSpec, settings: @escaping (ModelSpec, LossKind, Corpus) -> TrainingSettings) {
    (self.corpora, self.bits, self.losses, self.folder, self.references, self.spec, self.settings) = (corpora, bits, losses, folder, references, spec, settings)
  }

  /// Trains what is missing, evaluates every model, writes table.md and returns the table.
  public func run(console: Console) throws -> ExperimentTable {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let names = ExperimentPlan.names(corpora)
    var loaded = [String: Corpus]()
    for (name, path) in zip(names, corpora) {
      let (corpus, note) = try ExperimentPlan.withSplits(try Corpus.load(URL(fileURLWithPath: path)))
      if let note { console.note(note) }
      loaded[name] = corpus
    }
    let references = try ReferenceFigures.read(self.references)
    let plan = ExperimentPlan.runs(corpora: names, bits: bits, losses: losses)
    try train(plan, loaded, console: console)
    let table = ExperimentTable(rows: try evaluate(plan, loaded, console: console), references: references,
                                published: names.map { ($0, PublishedFigures.matching(loaded[$0]!)) })
    try AtomicFile.write(table.markdown() + "\n", to: folder.appendingPathComponent("table.md"))
    return table
  }

  /// Trains the runs whose model is not there yet, resuming those with a checkpoint.
  private func train(_ plan: [ExperimentRun], _ corpora: [String: Corpus], console: Console) throws {
    let pending = plan.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0.modelName).path) }
    console.note("\(plan.count) runs, \(plan.count - pending.count) already trained in \(folder.path)")
    let clock = PlanClock(runs: pending.count)
    for (i, run) in pending.enumerated() {
      let eta = clock.remaining.map { ", about \(ProgressBar.clock($0)) left" } ?? ""
      console.note("\nrun \(i + 1) of \(pending.count): \(run.corpus), \(run.bits) bits, \(run.loss.rawValue) loss\(eta)")
      let started = Date()
      try train(run, corpus: corpora[run.corpus]!, plan: clock, console: console)
      clock.finished(after: Date().timeIntervalSince(started))
    }
  }

  private func train(_ plan: ExperimentRun, corpus: Corpus, plan clock: PlanClock, console: Console) throws {
    let modelURL = folder.appendingPathComponent(plan.modelName)
    let checkpoint = URL(fileURLWithPath: modelURL.path + ".ckpt"), log = URL(fileURLWithPath: modelURL.path + ".log.jsonl")
    let session = RunSession(console: console, checkpoint: checkpoint, log: log)
    session.resumeHint = "run the same command again to continue"
    session.plan = clock
    session.epochRowsAreProgress = true
    let run = try session.trainModel(corpus, out: modelURL, resume: FileManager.default.fileExists(atPath: checkpoint.path),
                                     spec: { try self.spec(corpus, plan.bits) }, settings: { settings($0, plan.loss, corpus) })
    let trained = run.model
    let seconds = Self.trainingSeconds(log)
    let record = ExperimentRecord(run: plan, corpusPath: corpus.directory.path, model: modelURL.path, spec: trained.spec, settings: run.trainer.settings,
                                  seconds: seconds, pairs: run.trainer.count, epochs: run.loop.epoch, machine: MachineInfo.current(), finished: Date())
    JSONLine.append(try JSON.text(record), to: folder.appendingPathComponent("runs.jsonl"))
  }

  /// The training time of a run over all its processes: the epochs' seconds in its log.
  public static func trainingSeconds(_ log: URL) -> Double {
    guard let text = try? String(contentsOf: log, encoding: .utf8) else { return 0 }
    return text.split(separator: "\n").compactMap { line in
      (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seconds"] as? Double
    }.reduce(0, +)
  }

  /// Every model's MAP@all (with chance), NDCG@100, MAP within radius 2 and per-label MAP, both
  /// directions, and texts naming one label and its conjunctive text queries (Text→Image).
  private func evaluate(_ plan: [ExperimentRun], _ corpora: [String: Corpus], console: Console) throws -> [ExperimentTable.Row] {
    try plan.map { run in
      let corpus = corpora[run.corpus]!, splits = corpus.splits!
      let path = folder.appendingPathComponent(run.modelName).path
      let trained = try CrossModalModel.load(from: URL(fileURLWithPath: path))
      let q = try CrossModalEvaluation.codes(trained, corpus: corpus, pairs: splits.query, label: "\(run.modelName): queries", console: console)
      let r = try CrossModalEvaluation.codes(trained, corpus: corpus, pairs: splits.retrieval, label: "\(run.modelName): retrieval set", console: console)
      let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i],
                                                  options: EvaluationOptions(cutoffs: [100], ndcgAtK: 100, radius: 2))
      let info = corpus.info
      let labels = LabelEvaluation.perLabel(queries: q, retrieval: r, names: info.labels, kinds: info.labelKinds, directions: [.i2t, .t2i])
      let conjunctive = LabelEvaluation.conjunctive(model: trained, info: info, queries: q, retrieval: r)
      let named = LabelEvaluation.namedAlone(model: trained, names: info.labels, kinds: info.labelKinds, items: r, directions: [.t2i]).first
      return ExperimentTable.Row(run: run, model: path, i2t: reports[0].1, t2i: reports[1].1, labelMAP: labels.map(\.mean),
                                 named: named?.mean, conjunctive: conjunctive.first { $0.direction == .t2i }?.allAt10)
    }
  }
}
