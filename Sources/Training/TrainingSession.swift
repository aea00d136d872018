// TrainingSession: a TrainingRun under a RunSession — what `cmh train`, the demo and the
// experiment table show and keep while a model trains: what the run is, validation MAP every few
// epochs, the collapse guard's notes, and a training image that cannot be decoded.

import Corpus
import Foundation
import Hashing
import Model
import Platform

extension RunSession {
  /// Builds a training run with progress over its preparation, and says what the run will read.
  public func prepareTraining(_ make: (_ progress: @escaping (String, Int, Int) -> Void) throws -> TrainingRun) throws -> TrainingRun {
    let run = try prepare(make)
    if run.streamsImages {
      console.note("decoding the corpus's images in the background while training (first run; later runs map its pixel cache)")
    }
    if let coverage = run.textCoverage, coverage.unknownTokens > 0 || coverage.textsWithoutKnownWords > 0 {
      console.note("text: \(coverage.unknownTokens) of \(coverage.tokens) words are outside the \(run.model.spec.text.columns)-word vocabulary"
                   + (coverage.textsWithoutKnownWords > 0 ? "; \(coverage.textsWithoutKnownWords) texts have no known word" : ""))
    }
    return run
  }

  /// Trains to the run's epoch count, with validation MAP every `validateEvery` epochs (0: never);
  /// throws after saving a checkpoint when interrupted.
  public func train(_ run: TrainingRun, validateEvery: Int = 0) throws {
    let trainer = run.trainer, settings = trainer.settings, spec = run.model.spec
    console.note("training \(spec.bits)-bit codes: \(spec.architecture.rawValue) image tower, \(spec.text.columns)-column text tower, "
                 + "\(trainer.count) pairs, \(settings.loss.rawValue) loss, "
                 + (settings.labelEpochs > 0 ? "\(settings.labelEpochs) label epochs then " : "") + "\(settings.epochs) epochs, batch \(settings.batchSize)")
    let validation = validateEvery > 0
      ? Validation(every: validateEvery, columns: [("map_i2t", "MAP i→t"), ("map_t2i", "MAP t→i")]) { [console] in
          do { return try run.validationMAP() } catch {
            console.warn("validation skipped: \(error)")
            return nil
          }
        }
      : nil
    let last = try self.run(run.loop, epochs: settings.totalEpochs, save: { try run.saveCheckpoint(to: checkpoint) },
                       detail: { String(format: "sim %.1f  q %.2f", $0.similarity, $0.quantization) }, validation: validation,
                       failure: { run.inputFailure })
    if let last, last.collapseUnresolved { console.warn("the model ends collapsed: " + last.collapseNotes.joined(separator: "; ")) }
    do { try run.finishInputs() } catch let error as UnreadableImage { throw Self.unreadable(error.description) }
  }
}

extension TrainingRun {
  /// MAP Image→Text and Text→Image of the query split against the retrieval split (nil without a
  /// query split). A first run's background decoders finish the pixel cache first, which the
  /// evaluation then maps (instead of decoding the corpus a second time beside them).
  public func validationMAP() throws -> [Double]? {
    guard let splits = corpus.splits, !splits.query.isEmpty else { return nil }
    try finishInputs()
    let q = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.query)
    let r = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: splits.retrieval)
    let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i])
    return [reports[0].1.map, reports[1].1.map]
  }
}

extension RunSession {
  /// Trains the model `out` on `corpus`: from the session's checkpoint when `resume` (`epochs`, if
  /// given, is the new total), else a new run of `spec` and `settings` (from the weights of `start`
  /// when given); checkpoints as it goes, writes the model and returns the finished run.
  @discardableResult
  public func trainModel(_ corpus: Corpus, out: URL, resume: Bool, epochs: Int? = nil, validateEvery: Int = 0,
                         spec: () throws -> ModelSpec, settings: (ModelSpec) -> TrainingSettings, start: CrossModalModel? = nil) throws -> TrainingRun {
    let run: TrainingRun
    if try begin(writing: out, resume: resume) {
      run = try prepareTraining { try TrainingRun(corpus: corpus, resuming: checkpoint, epochs: epochs, streamImages: true, progress: $0) }
      console.note("resuming at epoch \(run.loop.epoch + 1) of \(run.trainer.settings.totalEpochs) from \(checkpoint.path)")
    } else {
      let spec = try spec(), settings = settings(spec)
      console.note("training: " + TrainingDefaults.summary(spec, settings))
      run = try prepareTraining { try TrainingRun(corpus: corpus, spec: spec, settings: settings, streamImages: true, startingFrom: start, progress: $0) }
      if let report = run.pretrainedReport, let path = settings.pretrained { console.note("pretrained weights \(path): \(report.summary)") }
    }
    try train(run, validateEvery: validateEvery)
    guard writesFiles else { return run }
    try run.finishedModel().save(to: out)
    console.note("wrote \(out.path)")
    return run
  }
}
