// TrainingRun: one training run on a corpus — the inputs of its training pairs, the trainer, its
// checkpoints (which carry the spec and settings, so `--resume` needs nothing else) and the
// finished model with the record of how it was trained.

import Corpus
import Foundation
import ImageNet
import Model
import Platform
import Tensor
import TextNet

public final class TrainingRun {
  public let corpus: Corpus
  public let trainingPairs: [Int]
  /// The trainer on its epoch loop (`loop.run`, `loop.epoch`).
  public let loop: AlternatingLoop<Trainer>
  public var trainer: Trainer { loop.steps }
  public var model: CrossModalModel { trainer.model }
  public var textCoverage: Vocabulary.Coverage? { texts.coverage }
  let texts: TextInputs
  /// The training images as loaded (the trainer may read features computed from them instead).
  let loadedImages: ImageInputs
  /// What loading the pretrained weights did, when the settings name a file.
  public private(set) var pretrainedReport: LoadReport?

  /// Prepares a run: decodes the training images (`progress(stage, done, total)`), encodes the texts.
  /// `loadPretrained: false` skips the settings' weight file (a checkpoint replaces the weights).
  /// `streamImages`: a corpus without a pixel cache is decoded while training runs (PixelStream);
  /// check `inputFailure` as it runs and call `finishInputs()` at the end.
  /// `start`: a model of the same spec that the run trains on from (F, G and B from its outputs),
  /// as training after whole-model pre-training does; nil starts from random weights.
  public init(corpus: Corpus, spec: ModelSpec, settings: TrainingSettings, loadPretrained: Bool = true, streamImages: Bool = false,
              startingFrom start: CrossModalModel? = nil, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
    let splits = try corpus.requireSplits()
    guard !splits.train.isEmpty else { throw TrainingError(description: "\(corpus.directory.path)/splits/train.txt: no training pairs") }
    let spec = TrainingDefaults.withImageViews(spec, settings)
    self.corpus = corpus
    let pairs = splits.train
    trainingPairs = pairs
    let ranks = DataParallel.current
    try ranks?.checkStart(corpus: corpus, recipe: try RunRecipe.notes(spec: spec, settings: settings, key: "settings"), batchSize: settings.batchSize, pairs: pairs.count)
    // Under mpirun the first rank of each machine decodes the pixel cache; the others then map it.
    let images = try ranks.rootFirst {
      try ImageInputs.load(corpus, pairs: pairs, spec: spec, streaming: streamImages && ranks == nil) { progress("decoding", $0, pairs.count) }
    }
    texts = try TextInputs.load(corpus, pairs: trainingPairs, spec: spec)
    var generator = RandomGenerator(seed: settings.seed)
    if let start, start.spec != spec {
      throw TrainingError(description: "the model to train on from was built for another corpus or shape (\(start.spec.architecture.rawValue), \(start.spec.bits) bits)")
    }
    let model = start ?? CrossModalModel(spec: spec, generator: &generator)
    model.setTraining(true)
    if let path = settings.pretrained, loadPretrained, start == nil {
      pretrainedReport = PretrainedWeights.load(try PretrainedWeights.read(URL(fileURLWithPath: path)), into: model.image)
      guard pretrainedReport!.loadedParameters > 0 else {
        throw TrainingError(description: "\(path): none of its tensors fits the \(spec.architecture.rawValue) image tower (\(pretrainedReport!.summary))")
      }
    }
    let (inputs, trained) = Self.freeze(model.image, settings.trainLayers, images, progress: { progress("frozen layers", $0, splits.train.count) })
    if let failure = images.failure { throw UnreadableImage(description: failure) }
    loadedImages = images
    loop = AlternatingLoop(Trainer(model: model, settings: settings, images: inputs, texts: texts, labels: trainingPairs.map { corpus.pairs[$0].labels },
                                   imageNetwork: trained, ranks: ranks))
    if start != nil { trainer.startFromModel() }
  }

  /// Rebuilds the run a checkpoint was written by and restores it; `epochs` replaces the total.
  public convenience init(corpus: Corpus, resuming url: URL, epochs: Int? = nil, streamImages: Bool = false,
                          progress: (String, Int, Int) -> Void = { _, _, _ in }) throws {
    let (_, spec, settings): (TrainingPosition, ModelSpec, TrainingSettings) = try RunRecipe.read(url, key: "settings", epochs: epochs, done: "trained",
                                                                                                writer: "`cmh train`")
    try self.init(corpus: corpus, spec: spec, settings: settings, loadPretrained: false, streamImages: streamImages, progress: progress)
    try loop.resume(from: url)
  }

  /// Splits the tower at the first layer that trains: the frozen layers' parameters stop training
  /// and their outputs for the training images are computed once.
  static func freeze(_ tower: Module, _ layers: TrainLayers, _ images: ImageInputs, progress: (Int) -> Void) -> (ImageInputs, Module) {
    guard let (frozen, trained) = split(tower, layers) else { return (images, tower) }
    return (images.cached(through: frozen, progress: progress), trained)
  }

  /// The tower's layers below the first that trains (their parameters marked frozen) and the rest;
  /// nil when everything trains or the tower is not a sequence of named layers.
  public static func split(_ tower: Module, _ layers: TrainLayers) -> (frozen: Sequential, trained: Sequential)? {
    guard let sequential = tower as? Sequential else { return nil }
    let index = layers.firstTrained(sequential.layers.map(\.0))
    guard index > 0 else { return nil }
    let frozen = Sequential(named: Array(sequential.layers[..<index]))
    for (_, p) in frozen.namedParameters() { p.isTrainable = false }
    return (frozen, Sequential(named: Array(sequential.layers[index...])))
  }

  /// Whether the corpus's images are being decoded while the run trains (no pixel cache yet).
  public var streamsImages: Bool { loadedImages.isStreaming }

  /// The first training image that could not be decoded, when images are streamed.
  public var inputFailure: String? { loadedImages.failure }

  /// Waits for streamed images to be decoded and their cache written; throws a decoding failure.
  public func finishInputs() throws { try loadedImages.finish() }

  public func saveCheckpoint(to url: URL) throws {
    let notes = try RunRecipe.notes(spec: model.spec, settings: trainer.settings, key: "settings")
    try loop.saveCheckpoint(to: url, notes: notes.merging(["corpus": corpus.directory.path]) { a, _ in a })
  }

  /// The model with the record of this run, in evaluation mode.
  public func finishedModel() -> CrossModalModel {
    model.record = TrainingRecord(settings: trainer.settings, corpus: corpus.info.name + " (" + corpus.directory.path + ")",
                                  trainingPairs: trainingPairs.count, syntheticPairs: trainingPairs.filter { corpus.pairs[$0].synthetic }.count,
                                  epochsDone: loop.epoch)
    model.setTraining(false)
    return model
  }
}
