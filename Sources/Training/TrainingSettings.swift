// TrainingSettings: the options of one training run (DESIGN.md's defaults), and the record of a
// finished run that the model file keeps.

public enum LossKind: String, Codable, CaseIterable, Sendable {
  case cauchy, dcmh
}

public struct TrainingSettings: Codable, Equatable, Sendable {
  public var loss = LossKind.cauchy
  /// Cauchy scale γ, quantization weight α, bit-balance weight η.
  public var gamma: Float = 10, alpha: Float = 1, eta: Float = 0
  public var epochs = 30
  public var batchSize = 128
  public var imageLearningRate: Float = 1e-4, textLearningRate: Float = 3e-4
  /// The learning rates halve every this many epochs.
  public var halveEvery = 15
  /// Mirror training images left-right half the time.
  public var flipImages = true
  public var seed: UInt64 = 1
  /// The weight file the image tower started from, if any.
  public var pretrained: String?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case loss, gamma, alpha, eta, epochs, seed, pretrained
    case batchSize = "batch_size", imageLearningRate = "image_lr", textLearningRate = "text_lr"
    case halveEvery = "halve_every", flipImages = "flip_images"
  }
}

/// How a model was trained, stored in its file.
public struct TrainingRecord: Codable, Equatable, Sendable {
  public var settings: TrainingSettings
  public var corpus: String
  public var trainingPairs: Int
  public var syntheticPairs: Int
  public var epochsDone: Int
  public var augmentation: String?

  public init(settings: TrainingSettings, corpus: String, trainingPairs: Int, syntheticPairs: Int, epochsDone: Int, augmentation: String? = nil) {
    self.settings = settings
    self.corpus = corpus
    self.trainingPairs = trainingPairs
    self.syntheticPairs = syntheticPairs
    self.epochsDone = epochsDone
    self.augmentation = augmentation
  }

  enum CodingKeys: String, CodingKey {
    case settings, corpus, augmentation
    case trainingPairs = "training_pairs", syntheticPairs = "synthetic_pairs", epochsDone = "epochs_done"
  }
}
