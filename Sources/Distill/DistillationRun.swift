// DistillationRun: one distillation on a corpus — the gallery model's outputs for the training
// pairs (computed once), the student and its distiller, checkpoints that carry what rebuilds the
// run (so `--resume` needs nothing else), and the finished small model with its gallery record.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import Training

public final class DistillationRun {
  public let corpus: Corpus
  public let trainingPairs: [Int]
  public let gallery: CrossModalModel
  public let galleryPath: String
  public let galleryFingerprint: UInt64
  /// The distiller on its epoch loop (`loop.run`, `loop.epoch`).
  public let loop: AlternatingLoop<Distiller>
  public var distiller: Distiller { loop.steps }
  public var student: CrossModalModel { distiller.student }

  /// Prepares a run: decodes the training images, computes the gallery model's outputs for them
  /// and their texts (`progress(stage, done, total)`), finds each item's context.
  public init(gallery: CrossModalModel, galleryPath: String, corpus: Corpus, spec: ModelSpec, settings: DistillationSettings,
              progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
    guard let train = corpus.splits?.train, !train.isEmpty else {
      throw TrainingError(description: "\(corpus.directory.path): no training pairs; make a split with `cmh corpus split \(corpus.directory.path)`")
    }
    if let problem = settings.problem { throw TrainingError(description: "distillation settings: \(problem)") }
    guard spec.bits == gallery.spec.bits, spec.text == gallery.spec.text, spec.textScaling == gallery.spec.textScaling else {
      throw TrainingError(description: "the small model must make \(gallery.spec.bits)-bit codes from the gallery model's text input")
    }
    if spec.architecture == .mlp && gallery.spec.architecture != .mlp {
      throw TrainingError(description: "\(galleryPath): its image tower reads pixels, so the small image tower must too (compact10 or resnet34), not mlp")
    }
    if spec.architecture != .mlp && gallery.spec.architecture == .mlp {
      throw TrainingError(description: "\(galleryPath): its image tower reads feature rows, so the small image tower must be mlp")
    }
    self.corpus = corpus
    trainingPairs = train
    self.gallery = gallery
    self.galleryPath = galleryPath
    galleryFingerprint = gallery.fingerprint()
    let ranks = DataParallel.current
    try ranks?.checkStart(corpus: corpus, recipe: try RunRecipe.notes(spec: spec, settings: settings, key: "distillation"), batchSize: settings.batchSize,
                          pairs: train.count, more: [("gallery model", String(galleryFingerprint, radix: 16))])
    // Under mpirun the first rank of each machine decodes the pixel caches; the others then map them.
    let galleryImages = try ranks.rootFirst { try ImageInputs.load(corpus, pairs: train, spec: gallery.spec) { progress("decoding", $0, train.count) } }
    if let failure = galleryImages.failure { throw UnreadableImage(description: failure) }
    let texts = try TextInputs.load(corpus, pairs: train, spec: gallery.spec)
    let teacherImage = gallery.imageOutputs(galleryImages) { progress("gallery model, images", $0, train.count) }
    let teacherText = gallery.textOutputs(texts) { progress("gallery model, texts", $0, train.count) }
    let sameImages = spec.architecture == .mlp || spec.inputSize == gallery.spec.inputSize
    let images = sameImages ? galleryImages : try ranks.rootFirst { try ImageInputs.load(corpus, pairs: train, spec: spec) { progress("decoding", $0, train.count) } }
    var g = RandomGenerator(seed: settings.seed)
    loop = AlternatingLoop(Distiller(student: CrossModalModel(spec: spec, generator: &g), settings: settings, images: images, texts: texts,
                                     teacherImage: teacherImage, teacherText: teacherText, ranks: ranks))
  }

  /// Rebuilds the run a checkpoint was written by and restores it; `epochs` replaces the total.
  public convenience init(corpus: Corpus, resuming url: URL, epochs: Int? = nil, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
    let (position, spec, settings): (TrainingPosition, ModelSpec, DistillationSettings) = try RunRecipe.read(url, key: "distillation", epochs: epochs,
                                                                                                          done: "distilled", writer: "`cmh distill`")
    let notes = position.notes
    guard let path = notes["gallery_model"], let fingerprint = notes["gallery_fingerprint"].flatMap({ UInt64($0, radix: 16) }) else {
      throw TrainingError(description: "\(url.path): the checkpoint does not say which gallery model it answers to; was it written by `cmh distill`?")
    }
    let gallery = try CrossModalModel.load(from: URL(fileURLWithPath: path))
    guard gallery.fingerprint() == fingerprint else {
      throw TrainingError(description: "\(path) is not the gallery model \(url.path) was distilled against (it has changed since: fingerprint "
                            + "\(String(format: "%016llx", gallery.fingerprint())), the checkpoint's \(notes["gallery_fingerprint"]!))")
    }
    try self.init(gallery: gallery, galleryPath: path, corpus: corpus, spec: spec, settings: settings, progress: progress)
    try loop.resume(from: url)
  }

  public func saveCheckpoint(to url: URL) throws {
    let notes = try RunRecipe.notes(spec: student.spec, settings: distiller.settings, key: "distillation")
    try loop.saveCheckpoint(to: url, notes: notes.merging([
      "gallery_model": galleryPath, "gallery_fingerprint": String(format: "%016llx", galleryFingerprint), "corpus": corpus.directory.path,
    ]) { a, _ in a })
  }

  /// The small model with the record of its gallery model, in evaluation mode.
  public func finishedModel() -> CrossModalModel {
    student.distillation = DistillationRecord(galleryFingerprint: galleryFingerprint, galleryModel: galleryPath, settings: distiller.settings,
                                              corpus: corpus.info.name + " (" + corpus.directory.path + ")", pairs: trainingPairs.count,
                                              epochsDone: loop.epoch)
    student.setTraining(false)
    return student
  }

  /// What the run is, in a sentence for the person who started it.
  public var summary: String {
    let settings = distiller.settings, spec = student.spec
    return "distilling against \(galleryPath) (\(spec.bits) bits): small image tower \(spec.architecture.rawValue)"
      + (spec.architecture == .mlp ? "" : " width \(spec.width)") + " (\(spec.imageHidden.map(String.init).joined(separator: ",")))"
      + ", text tower (\(spec.textHidden.map(String.init).joined(separator: ","))); \(distiller.count) pairs, contexts of \(distiller.gallery.contextSize) nearest "
      + "+ \(settings.negatives) random of \(distiller.gallery.count) gallery codes, temperature \(settings.studentTemperature)/\(settings.teacherTemperature), "
      + "\(settings.epochs) epochs, batch \(settings.batchSize), rates \(settings.imageLearningRate)/\(settings.textLearningRate)"
  }
}
