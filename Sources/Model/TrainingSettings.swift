// TrainingSettings: the options of one training run (DESIGN.md's defaults), and the record of a
// finished run that the model file keeps.

import Corpus

public enum LossKind: String, Codable, CaseIterable, Sendable {
  case cauchy, dcmh
}

/// Which layers of the image tower train; the rest run in evaluation mode, and their outputs for
/// the training images are computed once and cached.
public enum TrainLayers: String, Codable, CaseIterable, Sendable {
  /// Only the hash head (everything up to the pooled features is frozen).
  case head
  /// The last convolutional stage and the head (ResNet-34's layer4, compact10's conv5).
  case layer4
  case all

  /// The first layer of `names` (a tower's top-level layers) that trains.
  public func firstTrained(_ names: [String]) -> Int {
    switch self {
    case .all: return 0
    case .head: return names.firstIndex(of: "hash") ?? 0
    case .layer4: return names.firstIndex(of: "layer4") ?? names.firstIndex(of: "conv5") ?? names.firstIndex(of: "hash") ?? 0
    }
  }
}

public struct TrainingSettings: Codable, Equatable, Sendable {
  public var loss = LossKind.cauchy
  /// The training target: any shared label (0/1), or graded by the cosine or Jaccard index of the
  /// label sets.
  public var similarity = SimilarityKind.any
  /// Cauchy scale γ, quantization weight α, bit-balance weight η, Cauchy quantization weight λ.
  public var gamma: Float = 10, alpha: Float = 1, eta: Float = 0, lambda: Float = 0
  public var epochs = 30
  public var batchSize = 128
  public var imageLearningRate: Float = 1e-4, textLearningRate: Float = 3e-4
  /// The learning rates halve every this many epochs.
  public var halveEvery = 15
  /// Mirror training images left-right half the time.
  public var flipImages = true
  /// Turn training images by a random quarter turn as well: for collections whose images have no
  /// upright (shapes drawn at any angle, aerial or microscope images; `orientation: any` in
  /// corpus.json). A photo's sky is up, so photos are only mirrored.
  public var turnImages = false
  public var seed: UInt64 = 1
  /// The weight file the image tower started from, if any.
  public var pretrained: String?
  public var trainLayers = TrainLayers.all
  /// Weight μ of the label-prediction term (0: off); see CauchyLoss/LabelPrediction.
  public var labelWeight: Float = 0
  /// Epochs before the hashing epochs in which the image tower learns the labels as a classifier
  /// (Training/LabelClassifier): shape and other slow labels reach the codes only when the tower
  /// has learnt them first (docs/labels.md). They come on top of `epochs`.
  public var labelEpochs = 0

  public init() {}

  /// The run's epochs: the label epochs, then the hashing epochs.
  public var totalEpochs: Int { labelEpochs + epochs }

  enum CodingKeys: String, CodingKey {
    case loss, similarity, gamma, alpha, eta, epochs, seed, pretrained
    case lambda = "cauchy_quantization"
    case batchSize = "batch_size", imageLearningRate = "image_lr", textLearningRate = "text_lr"
    case halveEvery = "halve_every", flipImages = "flip_images", trainLayers = "train_layers", labelWeight = "label_weight"
    case labelEpochs = "label_epochs", turnImages = "turn_images"
  }

  /// Model files and checkpoints written before λ or graded similarity existed read as λ = 0 and
  /// "any shared label".
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    loss = try c.decode(LossKind.self, forKey: .loss)
    similarity = try c.decodeIfPresent(SimilarityKind.self, forKey: .similarity) ?? .any
    gamma = try c.decode(Float.self, forKey: .gamma)
    alpha = try c.decode(Float.self, forKey: .alpha)
    eta = try c.decode(Float.self, forKey: .eta)
    lambda = try c.decodeIfPresent(Float.self, forKey: .lambda) ?? 0
    epochs = try c.decode(Int.self, forKey: .epochs)
    batchSize = try c.decode(Int.self, forKey: .batchSize)
    imageLearningRate = try c.decode(Float.self, forKey: .imageLearningRate)
    textLearningRate = try c.decode(Float.self, forKey: .textLearningRate)
    halveEvery = try c.decode(Int.self, forKey: .halveEvery)
    flipImages = try c.decode(Bool.self, forKey: .flipImages)
    seed = try c.decode(UInt64.self, forKey: .seed)
    pretrained = try c.decodeIfPresent(String.self, forKey: .pretrained)
    trainLayers = try c.decode(TrainLayers.self, forKey: .trainLayers)
    labelWeight = try c.decodeIfPresent(Float.self, forKey: .labelWeight) ?? 0
    labelEpochs = try c.decodeIfPresent(Int.self, forKey: .labelEpochs) ?? 0
    turnImages = try c.decodeIfPresent(Bool.self, forKey: .turnImages) ?? false
    if let problem = problem {
      throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: c.codingPath, debugDescription: "training settings: \(problem)"))
    }
  }

  /// What is out of range, if anything: a damaged file must not reach the trainer with a batch of
  /// 0 pairs or a rate that is not a number.
  public var problem: String? {
    let positive = [("gamma", gamma), ("image_lr", imageLearningRate), ("text_lr", textLearningRate)]
    let notNegative = [("alpha", alpha), ("eta", eta), ("cauchy_quantization", lambda), ("label_weight", labelWeight)]
    if let (name, v) = positive.first(where: { !($0.1.isFinite && $0.1 > 0) }) { return "\(name) is \(v), expected a positive number" }
    if let (name, v) = notNegative.first(where: { !($0.1.isFinite && $0.1 >= 0) }) { return "\(name) is \(v), expected a number ≥ 0" }
    if !(1...(1 << 20)).contains(batchSize) { return "batch_size is \(batchSize), expected 1 to \(1 << 20)" }
    if !(0...1_000_000).contains(epochs) || halveEvery < 1 { return "epochs \(epochs) and halve_every \(halveEvery) out of range" }
    if !(0...1_000_000).contains(labelEpochs) { return "label_epochs is \(labelEpochs), expected 0 to 1000000" }
    return nil
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
