// cmh distill: a small query model trained against a gallery model's Hamming space by contextual
// similarity distillation, with progress, a JSON log line per epoch, a checkpoint every epoch,
// --resume, and Ctrl-C that saves first.

import ArgumentParser
import Corpus
import Distill
import Foundation
import Model
import Platform
import Tensor
import Training

struct DistillCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "distill",
    abstract: "Train small query towers whose codes search a big model's indexes.",
    discussion: """
      Usage: cmh distill MODEL CORPUS --out SMALL.cmh. MODEL (the gallery model) does not change: its indexes stay as they are. \
      For every training pair of CORPUS, the gallery model's nearest codes (text and image) are the pair's context; the small \
      towers learn to score that context as the gallery model does (a softmax at a temperature, matched by KL divergence), \
      without labels. `cmh search` and `cmh eval --gallery MODEL` then take SMALL.cmh as the query model. A checkpoint is \
      written after every epoch (OUT.ckpt); epoch logs go to OUT.log.jsonl.

      Example: cmh distill cmh-demo/model-64.cmh cmh-demo/shapes --out small.cmh
      """)

  @Argument(help: "The gallery model (its indexes are what the small model searches).") var model: String
  @Argument(help: "Corpus directory (its training split; labels are not used).") var corpus: String
  @Option(help: "Where to write the small model.") var out: String
  @Option(help: "Small image tower: compact10 or resnet34 on pixels, mlp on feature rows (default: compact10, or mlp for a feature-row model).")
  var imageArch: ImageArchitecture?
  @Option(help: "Channels of the small tower's first stage (default: a quarter of the gallery model's).") var width: Int?
  @Option(help: "Hidden units before the small image hash layer, comma-separated (default: 512 on pixels, 256 on feature rows).") var imageHidden: String?
  @Option(help: "Hidden layers of the small text tower, comma-separated (default: 256).") var textHidden: String?
  @Option(help: "Nearest gallery codes in each item's context.") var neighbours = DistillationSettings().neighbours
  @Option(help: "Random gallery codes added to each context, drawn again every epoch.") var negatives = DistillationSettings().negatives
  @Option(help: "Softmax temperature of the context similarities: one value for student and teacher, or STUDENT,TEACHER.") var temperature = "0.05,0.01"
  @Option(help: "Weight of the contextual KL term (0: first-order only).") var contextual: Float = 1
  @Option(help: "Weight of the first-order term, the student's output against the gallery model's for the same item.") var firstOrder = DistillationSettings().firstOrder
  @Option(help: "Weight of the quantization term α‖sign(u) − u‖².") var alpha = DistillationSettings().alpha
  @Option(help: "Epochs (default: 30 on pixels, 60 on feature rows). With --resume, the new total.") var epochs: Int?
  @Option(help: "Pairs per batch (default: 64 on pixels, 128 on feature rows).") var batchSize: Int?
  @Option(help: "RMSprop rate of the small image tower (default: as `cmh train` for the input kind).") var imageLr: Float?
  @Option(help: "RMSprop rate of the small text tower (default: as `cmh train` for the input kind).") var textLr: Float?
  @Option(help: "Every N epochs, refill the last quarter of each context with the gallery codes nearest to the student's own (0: never).")
  var refreshEvery = 0
  @Option(help: "Seed for weights, orders and the random context codes.") var seed: UInt64 = 1
  @Option(help: "Checkpoint file (default: OUT.ckpt).") var checkpoint: String?
  @Flag(help: "Continue from the checkpoint; the gallery model, the small model and the settings come from it.") var resume = false
  @OptionGroup var output: OutputOptions

  func validate() throws {
    _ = try temperatures()
    guard neighbours >= 1, negatives >= 0, epochs ?? 1 >= 1, batchSize ?? 1 >= 1, refreshEvery >= 0 else {
      throw ValidationError("--neighbours, --epochs and --batch-size must be at least 1, --negatives and --refresh-every at least 0")
    }
    guard contextual >= 0, firstOrder >= 0, alpha >= 0, contextual + firstOrder > 0 else {
      throw ValidationError("--contextual, --first-order and --alpha must not be negative, and --contextual or --first-order must be above 0")
    }
    guard imageLr ?? 1 > 0, textLr ?? 1 > 0, width ?? 4 >= 4 else { throw ValidationError("the rates must be positive and --width at least 4") }
    if let imageHidden { _ = try ModelOptions.sizes(imageHidden, "--image-hidden") }
    if let textHidden { _ = try ModelOptions.sizes(textHidden, "--text-hidden") }
  }

  func temperatures() throws -> (student: Float, teacher: Float) {
    let parts = temperature.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError("--temperature takes one positive number, or two (student,teacher) like 0.1,0.1; got \"\(temperature)\"")
    }
    return (parts[0]!, parts.last!!)
  }

  func run() throws {
    OutputOptions.lineBuffered()
    try OutputCheck.file(out, option: "--out")
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let outURL = URL(fileURLWithPath: out), checkpointURL = URL(fileURLWithPath: checkpoint ?? out + ".ckpt")
    for url in [outURL, checkpointURL] { AtomicFile.removeStaleTemporaries(of: url) }
    let session = DistillSession(output: output, checkpoint: checkpointURL, log: URL(fileURLWithPath: out + ".log.jsonl"))
    let run: DistillationRun
    if resume {
      guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
        throw CommandError("\(checkpointURL.path): no checkpoint to resume from (it is written after each epoch)")
      }
      run = try session.prepare { try DistillationRun(corpus: loaded, resuming: checkpointURL, epochs: epochs, progress: $0) }
      session.note("resuming at epoch \(run.distiller.epoch + 1) of \(run.distiller.settings.epochs) from \(checkpointURL.path)")
    } else {
      try? FileManager.default.removeItem(atPath: out + ".log.jsonl")
      let gallery = try ModelInputs.model(model)
      let spec = gallery.spec.student(architecture: imageArch, width: width, imageHidden: try imageHidden.map { try ModelOptions.sizes($0, "--image-hidden") },
                                      textHidden: try textHidden.map { try ModelOptions.sizes($0, "--text-hidden") })
      let settings = try settings(for: spec)
      run = try session.prepare { try DistillationRun(gallery: gallery, galleryPath: model, corpus: loaded, spec: spec, settings: settings, progress: $0) }
    }
    try session.distill(run)
    try run.finishedModel().save(to: outURL)
    session.note("wrote \(outURL.path)")
  }

  private func settings(for spec: ModelSpec) throws -> DistillationSettings {
    var s = DistillationSettings.defaults(for: spec)
    (s.studentTemperature, s.teacherTemperature) = try temperatures()
    s.neighbours = neighbours; s.negatives = negatives; s.contextual = contextual; s.firstOrder = firstOrder; s.alpha = alpha
    s.epochs = epochs ?? s.epochs; s.batchSize = batchSize ?? s.batchSize
    s.imageLearningRate = imageLr ?? s.imageLearningRate; s.textLearningRate = textLr ?? s.textLearningRate
    s.refreshEvery = refreshEvery; s.seed = seed
    return s
  }
}

/// What `cmh distill` shows and keeps while a DistillationRun runs.
final class DistillSession {
  let output: OutputOptions
  let checkpoint: URL, log: URL
  private let stop = StopFlag.shared

  init(output: OutputOptions, checkpoint: URL, log: URL) {
    self.output = output
    self.checkpoint = checkpoint
    self.log = log
  }

  func note(_ message: String) {
    if !output.quiet { FileHandle.standardError.write(Data((message + "\n").utf8)) }
  }

  /// Builds the run with a progress bar over each stage (decoding, the gallery model's outputs).
  func prepare(_ make: ((String, Int, Int) -> Void) throws -> DistillationRun) throws -> DistillationRun {
    var bar: Progress?, stage = ""
    defer { bar?.finish() }
    do {
      return try make { label, done, total in
        if label != stage { bar?.finish(); bar = Progress(total: total, label: label, quiet: self.output.quiet); stage = label }
        bar?.update(done)
      }
    } catch let error as UnreadableImage {
      throw CommandError("\(error.description)\nnothing was saved; mend or remove that image (`cmh corpus validate` lists every problem) and run again")
    }
  }

  func distill(_ run: DistillationRun) throws {
    let distiller = run.distiller, settings = distiller.settings, spec = run.student.spec
    note("distilling against \(run.galleryPath) (\(spec.bits) bits): small image tower \(spec.architecture.rawValue)"
         + (spec.architecture == .mlp ? "" : " width \(spec.width)") + " (\(spec.imageHidden.map(String.init).joined(separator: ",")))"
         + ", text tower (\(spec.textHidden.map(String.init).joined(separator: ","))); \(distiller.count) pairs, contexts of \(distiller.gallery.contextSize) nearest "
         + "+ \(settings.negatives) random of \(distiller.gallery.count) gallery codes, temperature \(settings.studentTemperature)/\(settings.teacherTemperature), "
         + "\(settings.epochs) epochs, batch \(settings.batchSize), rates \(settings.imageLearningRate)/\(settings.textLearningRate)")
    if !output.json { print("epoch    image KL   image q     text KL    text q   codes i/t    top-10 i/t    pairs/s   time") }
    stop.install()
    defer { stop.uninstall() }
    let bars = EpochBars(epochs: settings.epochs, items: distiller.count, batchSize: settings.batchSize, quiet: output.quiet)
    let finished = distiller.run(epochs: settings.epochs, shouldStop: { stop.isSet }, onBatch: { phase, done, loss in
      bars.update(epoch: distiller.epoch, pass: phase == .image ? 0 : 1, done: done, detail: String(format: "KL %.3f", loss.contextual))
    }, onEpoch: { report in
      bars.finish()
      epochLine(report, pairs: distiller.count)
      do { try run.saveCheckpoint(to: checkpoint) } catch { note("warning: \(error)") }
    })
    bars.finish()
    if !finished {
      try run.saveCheckpoint(to: checkpoint)
      throw CommandError("interrupted in epoch \(distiller.epoch + 1); saved \(checkpoint.path) — continue with --resume")
    }
  }

  private func epochLine(_ r: Distiller.EpochReport, pairs: Int) {
    let rate = Double(pairs) / max(r.seconds, 1e-9)
    let n = { (x: Double, places: Int) in JSONLine.Value.number(x, places: places) }
    let json = JSONLine([
      ("epoch", .int(r.epoch)), ("image_contextual", n(Double(r.image.contextual), 4)), ("image_other", n(Double(r.image.other), 4)),
      ("text_contextual", n(Double(r.text.contextual), 4)), ("text_other", n(Double(r.text.other), 4)),
      ("distinct_image_codes", .int(r.distinctImageCodes)), ("distinct_text_codes", .int(r.distinctTextCodes)),
      ("image_top10_agreement", n(r.imageAgreement, 4)), ("text_top10_agreement", n(r.textAgreement, 4)),
      ("pairs_per_second", n(rate, 1)), ("seconds", n(r.seconds, 2)),
      ("image_lr", .general(Double(r.imageLearningRate))), ("text_lr", .general(Double(r.textLearningRate)))]).text
    JSONLine.append(json, to: log)
    if output.json { print(json); return }
    print(String(format: "%5d   %9.4f   %7.4f   %9.4f   %7.4f   %5d/%-5d   %5.3f/%-5.3f   %7.0f   %@", r.epoch, r.image.contextual, r.image.other,
                 r.text.contextual, r.text.other, r.distinctImageCodes, r.distinctTextCodes, r.imageAgreement, r.textAgreement, rate, Progress.clock(r.seconds)))
  }
}
