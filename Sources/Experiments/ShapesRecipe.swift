// ShapesRecipe: the built-in shapes corpus and how the demo, the README's table and `cmh bench
// train` train on it.

import Corpus
import Foundation
import Model
import Platform
import Training

/// The settings the demo, the README's table and `cmh bench train` use on the shapes corpus:
/// images at 32² through a half-width compact10, text learning rate 1e-4 (at 3e-4 the text
/// codes of this small corpus collapse onto a few patterns), batch 64, and 60 label epochs before
/// the hashing epochs (shape comes late: against 40, 60 put the named shape in 0.95–0.97 of a text
/// query's top 10 instead of 0.84–0.91, and 90 added little) with the label term after them, and
/// quarter turns beside mirroring, since the shapes are drawn at any angle (docs/labels.md).
public enum ShapesRecipe {
  public static let epochs = 15
  public static let labelEpochs = 60

  /// The generated corpus in `directory`, made unless one of the same size and seed is there.
  public static func corpus(in directory: URL, pairs: Int = 6000, imbalance: Double = 1, seed: UInt64, console: Console) throws -> Corpus {
    let settings = ShapesCorpusSettings(pairs: pairs, imbalance: imbalance, seed: seed)
    if let existing = try? Corpus.load(directory), existing.splits != nil, existing.info.source == ShapesCorpus.source(settings) {
      return existing
    }
    return try ShapesCorpus.make(into: directory, settings: settings, console: console)
  }

  public static func spec(_ corpus: Corpus, bits: Int) throws -> ModelSpec {
    try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: bits, architecture: .compact10, inputSize: 32, width: 32)
  }

  public static func settings(epochs: Int, loss: LossKind, seed: UInt64, labelEpochs: Int = labelEpochs) -> TrainingSettings {
    var s = TrainingSettings()
    s.epochs = epochs
    s.labelEpochs = labelEpochs
    s.labelWeight = TrainingDefaults.labelWeight(labelEpochs: labelEpochs)
    s.turnImages = TrainingDefaults.turnImages(imageKind: .pixels, upright: false)
    s.loss = loss
    s.similarity = TrainingDefaults.similarity(for: loss)
    s.seed = seed
    s.batchSize = 64
    s.textLearningRate = 1e-4
    return s
  }
}
