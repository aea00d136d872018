// TrainingSession: what `cmh train` and `cmh demo` show and keep while a TrainingRun runs — the
// progress bar, one line per epoch (a table row, or JSON with --json) also appended to a log
// file, a checkpoint after every epoch, validation MAP, and Ctrl-C that checkpoints and exits.

import Augment
import Corpus
import Dispatch
import Foundation
import Hashing
import Model
import Training

final class TrainingSession {
  let output: OutputOptions
  let validateEvery: Int
  let checkpoint: URL
  let log: URL?
  /// What the message after Ctrl-C tells the person to do next.
  var resumeHint = "continue with --resume"
  /// The plan this run is one of (`cmh experiment table`), for the progress bar.
  var plan: PlanClock?
  /// The epoch rows are `cmh train`'s report, on stdout. Under `cmh experiment table`, whose stdout
  /// is the table, they are progress: on stderr, and not at all with --json or --quiet (the log
  /// file keeps them).
  var epochRowsAreProgress = false
  private let stop = StopFlag.shared

  init(output: OutputOptions, validateEvery: Int, checkpoint: URL, log: URL?) {
    self.output = output
    self.validateEvery = validateEvery
    self.checkpoint = checkpoint
    self.log = log
  }

  /// An epoch row or its header, where `epochRowsAreProgress` says.
  private func show(_ line: String) {
    guard epochRowsAreProgress else { print(line); return }
    if !output.json { note(line) }
  }

  /// A message for the person at the terminal (stderr), unless quiet.
  func note(_ message: String) {
    if !output.quiet { FileHandle.standardError.write((message + "\n").data(using: .utf8)!) }
  }

  /// Builds the run with a progress bar over the image decoding.
  func prepare(_ make: ((Int, Int) -> Void) throws -> TrainingRun) throws -> TrainingRun {
    var bar: Progress?
    let made = Result { try make { done, total in
      if bar == nil { bar = Progress(total: total, label: "decoding", quiet: self.output.quiet) }
      bar?.update(done)
    } }
    bar?.finish()
    if case .failure(let error as UnreadableImage) = made { throw Self.unreadable(error.description) }
    let run = try made.get()
    if run.streamsImages {
      note("decoding the corpus's images in the background while training (first run; later runs map its pixel cache)")
    }
    if let coverage = run.textCoverage, coverage.unknownTokens > 0 || coverage.textsWithoutKnownWords > 0 {
      note("text: \(coverage.unknownTokens) of \(coverage.tokens) words are outside the \(run.model.spec.text.columns)-word vocabulary"
           + (coverage.textsWithoutKnownWords > 0 ? "; \(coverage.textsWithoutKnownWords) texts have no known word" : ""))
    }
    return run
  }

  /// Trains to the run's epoch count; throws after saving a checkpoint when interrupted.
  func train(_ run: TrainingRun) throws {
    let trainer = run.trainer, settings = trainer.settings, spec = run.model.spec
    note("training \(spec.bits)-bit codes: \(spec.architecture.rawValue) image tower, \(spec.text.columns)-column text tower, "
         + "\(trainer.count) pairs, \(settings.loss.rawValue) loss, \(settings.epochs) epochs, batch \(settings.batchSize)")
    header(validation: validateEvery > 0)
    stop.install()
    defer { stop.uninstall() }
    let bars = EpochBars(epochs: settings.epochs, items: trainer.count, batchSize: settings.batchSize, quiet: output.quiet, plan: plan)
    var lastReport: Trainer.EpochReport?
    let finished = trainer.run(epochs: settings.epochs, shouldStop: { stop.isSet || run.inputFailure != nil }, onBatch: { phase, done, loss in
      bars.update(epoch: trainer.epoch, pass: phase == .image ? 0 : 1, done: done,
                  detail: String(format: "sim %.1f  q %.2f", loss.similarity, loss.quantization))
    }, onEpoch: { report in
      bars.finish()
      lastReport = report
      let validation = validateEvery > 0 && report.epoch % validateEvery == 0 ? validate(run) : nil
      epochLine(report, pairs: trainer.count, validation: validation)
      do { try run.saveCheckpoint(to: checkpoint) } catch { note("warning: \(error)") }
    })
    bars.finish()
    if let last = lastReport, last.collapseUnresolved {
      FileHandle.standardError.write(Data(("warning: the model ends collapsed: " + last.collapseNotes.joined(separator: "; ") + "\n").utf8))
    }
    if let failure = run.inputFailure { throw Self.unreadable(failure) }
    if !finished {
      try run.saveCheckpoint(to: checkpoint)
      throw CommandError("interrupted in epoch \(trainer.epoch + 1); saved \(checkpoint.path) — \(resumeHint)")
    }
    do { try run.finishInputs() } catch let error as UnreadableImage { throw Self.unreadable(error.description) }
  }

  /// An image of the corpus could not be decoded while the run read it.
  private static func unreadable(_ failure: String) -> CommandError {
    CommandError("\(failure)\nnothing was saved; mend or remove that image (`cmh corpus validate` lists every problem) and run again")
  }

  /// Fine-tunes an augmentation folder's model on its synthetic pairs and `corpus`'s training pairs,
  /// with the settings the model was trained with (`fallback` when it has no record).
  func fineTune(_ corpus: Corpus, folder: URL, settings fallback: TrainingSettings, options: FineTuneOptions) throws -> CrossModalModel {
    let (set, model) = try AugmentationSet.read(from: folder)
    guard set.summary.labels == corpus.info.labels else {
      throw CommandError("\(folder.path): made for labels \(set.summary.labels.joined(separator: ", ")); \(corpus.directory.path) has \(corpus.info.labels.joined(separator: ", "))")
    }
    guard let train = corpus.splits?.train else {
      throw CommandError("\(corpus.directory.path): no splits/ folder; make one with `cmh corpus split \(corpus.directory.path)`")
    }
    let bar = StageProgress(quiet: output.quiet)
    let real = try FeatureAugmentation.realPairs(model, corpus: corpus, pairs: train, progress: bar.update)
    bar.finish()
    let synthetic = set.pairs, epochs = try options.stages()
    note("fine-tuning the \(model.spec.bits)-bit model of \(folder.path) (\(set.summary.method)): \(epochs.synthetic) epochs on \(synthetic.count) "
         + "synthetic pairs, then \(epochs.mixed) on them with \(real.count) real pairs")
    header(validation: false)
    try FeatureAugmentation.fineTune(model, real: real, synthetic: synthetic, method: set.summary.method, settings: model.record?.settings ?? fallback,
                                     epochs: epochs, rate: options.finetuneRate) { stage, report in
      if report.epoch == 1 && !output.json { show(stage == "synthetic" ? "synthetic pairs alone:" : "synthetic and real pairs:") }
      epochLine(report, pairs: stage == "synthetic" ? synthetic.count : real.count + synthetic.count, validation: nil, stage: stage)
    }
    return model
  }

  private func header(validation: Bool) {
    if !output.json {
      show("epoch   image sim   image q    text sim    text q   B flips   codes i/t     pairs/s   time" + (validation ? "     MAP i→t   MAP t→i" : ""))
    }
  }

  private func validate(_ run: TrainingRun) -> (Double, Double)? {
    guard let splits = run.corpus.splits, !splits.query.isEmpty else { return nil }
    do {
      // A first run's background decoders finish the pixel cache, which the evaluation then maps
      // (instead of decoding the corpus a second time beside them).
      try run.finishInputs()
      let q = try CrossModalEvaluation.codes(run.model, corpus: run.corpus, pairs: splits.query)
      let r = try CrossModalEvaluation.codes(run.model, corpus: run.corpus, pairs: splits.retrieval)
      let reports = CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i])
      return (reports[0].1.map, reports[1].1.map)
    } catch {
      note("warning: validation skipped: \(error)")
      return nil
    }
  }

  private func epochLine(_ r: Trainer.EpochReport, pairs: Int, validation: (Double, Double)?, stage: String? = nil) {
    let rate = Double(pairs) / max(r.seconds, 1e-9)
    let n = { (x: Double, places: Int) in JSONLine.Value.number(x, places: places) }, g = { (x: Float) in JSONLine.Value.general(Double(x)) }
    var fields: [(String, JSONLine.Value)] = [
      ("epoch", .int(r.epoch)), ("image_similarity", n(Double(r.image.similarity), 4)), ("image_quantization", n(Double(r.image.quantization), 4)),
      ("text_similarity", n(Double(r.text.similarity), 4)), ("text_quantization", n(Double(r.text.quantization), 4)), ("code_changes", .int(r.codeChanges)),
      ("distinct_image_codes", .int(r.distinctImageCodes)), ("distinct_text_codes", .int(r.distinctTextCodes)),
      ("pairs_per_second", n(rate, 1)), ("seconds", n(r.seconds, 2)), ("image_lr", g(r.imageLearningRate)), ("text_lr", g(r.textLearningRate))]
    if let (i2t, t2i) = validation { fields += [("map_i2t", n(i2t, 4)), ("map_t2i", n(t2i, 4))] }
    if let stage { fields.append(("stage", .string(stage))) }
    if !r.collapseNotes.isEmpty { fields.append(("collapse", .strings(r.collapseNotes))) }
    let json = JSONLine(fields).text
    if let log { JSONLine.append(json, to: log) }
    if output.json { show(json) } else {
      var row = String(format: "%5d   %9.2f   %7.3f   %9.2f   %7.3f   %7d   %5d/%-5d   %7.0f   %@", r.epoch, r.image.similarity, r.image.quantization,
                       r.text.similarity, r.text.quantization, r.codeChanges, r.distinctImageCodes, r.distinctTextCodes, rate, Progress.clock(r.seconds))
      if let (i2t, t2i) = validation { row += String(format: "   %9.4f   %7.4f", i2t, t2i) }
      show(row)
      for note in r.collapseNotes { show("        ! " + note) }
    }
  }
}

/// Set by Ctrl-C (SIGINT) while a run is active; the trainer checks it between batches. A second
/// Ctrl-C, or one while no run is active, exits at once. One per process: libdispatch installs its
/// signal handler once, so a second signal source made after the first was cancelled never fires
/// (a table's second run would not stop).
final class StopFlag: @unchecked Sendable {
  static let shared = StopFlag()
  private let lock = NSLock()
  private var set = false, active = false
  private var source: DispatchSourceSignal?

  private init() {}

  var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }

  /// Starts a run: the flag is cleared and Ctrl-C sets it.
  func install() {
    lock.lock()
    defer { lock.unlock() }
    set = false
    active = true
    guard source == nil else { return }
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { [self] in
      lock.lock()
      let quit = set || !active
      set = true
      lock.unlock()
      if quit { _exit(130) }
      FileHandle.standardError.write("\nstopping after this batch to save a checkpoint (Ctrl-C again to quit at once)\n".data(using: .utf8)!)
    }
    source.resume()
    self.source = source
  }

  /// Ends a run: Ctrl-C exits at once again.
  func uninstall() {
    lock.lock()
    active = false
    lock.unlock()
  }
}
