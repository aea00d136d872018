// TrainingDefaults: the tower shapes and optimisation settings a new run gets for its kinds of
// input, chosen by measurement over the test bed of corpus kinds (docs/training-defaults.md):
// pixels, dense feature rows (standardised) and bag-of-words rows train best with different
// widths and rates, and one setting for all of them collapsed codes on some.

import CauchyLoss
import Corpus
import Model

public enum InputKind: String, Codable, Sendable {
  case pixels
  /// Dense rows (CNN or SIFT features, topic proportions), standardised.
  case featureRows = "feature rows"
  /// Word or tag counts over a vocabulary, kept as they are.
  case bagOfWords = "bag of words"
}

public enum TrainingDefaults {
  public static func imageKind(_ architecture: ImageArchitecture) -> InputKind { architecture == .mlp ? .featureRows : .pixels }

  /// Dense text feature rows are the ones that carry a scaling; words and tag counts do not.
  public static func textKind(_ spec: ModelSpec) -> InputKind { spec.textScaling == nil ? .bagOfWords : .featureRows }

  /// Hidden layers before the image hash layer.
  public static func imageHidden(_ architecture: ImageArchitecture) -> [Int] {
    switch architecture {
    case .resnet34: return []
    case .compact10: return [4096]
    case .mlp: return [1024, 1024]
    }
  }

  /// A feature corpus (dense rows on either side) gets a 1,024-wide text tower at 3e-4; a text
  /// tower on words or tags beside a convolutional image tower is 4,096 wide at 1e-4. One rule
  /// picks both, so that the defaults never pair the wide tower with the fast rate.
  static func narrowText(imageKind: InputKind, textKind: InputKind) -> Bool { imageKind == .featureRows || textKind == .featureRows }

  /// Hidden layers of the text tower: 1,024 wide on a corpus of feature rows (as wide as its image
  /// tower; 4,096 measured no better on MIRFlickr-like tags and ran 4× slower), 4,096 beside a
  /// convolutional image tower.
  public static func textHidden(imageKind: InputKind, textKind: InputKind) -> [Int] {
    narrowText(imageKind: imageKind, textKind: textKind) ? [1024, 1024] : [4096, 4096]
  }

  /// RMSprop rate of the image tower: 3e-4 on feature rows, 1e-4 for a convolutional tower.
  public static func imageLearningRate(_ kind: InputKind) -> Float { kind == .featureRows ? 3e-4 : 1e-4 }

  /// RMSprop rate of the text tower: 3e-4 for the 1,024-wide tower of a feature corpus, on dense
  /// rows and on tags alike (1e-4 left its tag codes behind: on MIRFlickr-25K's own tags DCMH's
  /// Image→Text trailed the reference by 0.024 at 16 bits, 0.009 at 3e-4); 1e-4 for the 4,096-wide
  /// tower beside a convolutional one, where 3e-4 collapsed the shapes corpus's text codes.
  public static func textLearningRate(imageKind: InputKind, textKind: InputKind) -> Float {
    narrowText(imageKind: imageKind, textKind: textKind) ? 3e-4 : 1e-4
  }

  /// compact10's stem for an input side: at 32² ImageNet's stem (÷4) left layer1 an 8² map, and a
  /// classifier of the tower reached colour AP 0.29-0.97 where the stride-1 stem reaches 0.97-0.99
  /// (the demo's MAP@all +0.035, NDCG@100 +0.09; docs/labels.md). Larger inputs keep ImageNet's
  /// stem: 64² with stride 2 costs 4× the convolutions and has not been measured.
  public static func stemStride(inputSize: Int) -> Int { inputSize <= 32 ? 1 : 4 }

  /// Feature-row towers are cheap and keep improving to 60 epochs; pixel towers get 30.
  public static func epochs(imageKind: InputKind) -> Int { imageKind == .pixels ? 30 : 60 }

  /// Pixel towers learn more from more, smaller steps (64); feature rows take 128.
  public static func batchSize(imageKind: InputKind) -> Int { imageKind == .pixels ? 64 : 128 }

  /// The training target for a loss: the Cauchy loss learns graded similarity (Jaccard) — on the
  /// shapes corpus MAP@all rose by 0.025 and NDCG@100 by 0.11, on the MIRFlickr-like one by 0.02
  /// and 0.15 — while DCMH's logistic likelihood collapsed its text codes with it (MAP −0.14):
  /// DCMH keeps "any shared label" (docs/testbed.md).
  public static func similarity(for loss: LossKind) -> SimilarityKind { loss == .cauchy ? .jaccard : .any }

  /// Label epochs before the hashing ones: twice as many as the hashing epochs for a convolutional
  /// tower from scratch on a multi-label corpus. On the demo's corpus 40 of them (and the label
  /// term) took the named shape from 0.16 to 0.77 of a text query's top 10; with the defaults at
  /// 64², 60 instead of 30 took it from 0.56–0.62 to 0.77–0.81 and MAP@all up by 0.001–0.010, for
  /// 40% more time (docs/labels.md). Feature rows, single-label corpora and pretrained or partly
  /// frozen towers start without them (not measured to need them).
  public static func labelEpochs(imageKind: InputKind, multiLabel: Bool, fromScratch: Bool, epochs: Int) -> Int {
    imageKind == .pixels && multiLabel && fromScratch ? 2 * epochs : 0
  }

  /// μ of the label-prediction term: 1 where label epochs come first. After them the term keeps
  /// every label in the codes (the demo: all three named labels in 0.58 of the top 10 against 0.25
  /// without it, MAP@all +0.01); without them it cost MAP (docs/labels.md).
  public static func labelWeight(labelEpochs: Int) -> Float { labelEpochs > 0 ? 1 : 0 }

  /// Quarter turns for image files without an upright (ImageOrientation). On the demo they took
  /// the named shape from 0.74 to 0.85 of a text query's top 10, all three named labels from 0.57
  /// to 0.66, MAP@all +0.02 (docs/labels.md); photos have an upright and are mirrored only.
  public static func turnImages(imageKind: InputKind, upright: Bool) -> Bool { imageKind == .pixels && !upright }

  /// Views a pixel tower averages when it encodes (ModelSpec.imageViews): the placements its
  /// training draws, mirrored and, for images without an upright, turned. On the shapes corpora
  /// the 8 views raised MAP@all by 0.002–0.006, NDCG@100 by 0.01–0.02 and the named shape in a
  /// text query's top 10 by 0.01–0.03 (docs/labels.md), for 8 times the encoding work.
  public static func imageViews(flip: Bool, turn: Bool) -> Int { turn ? 8 : flip ? 2 : 1 }

  /// `spec` with the image views its training settings give, unless it names them (a tower on
  /// feature rows has none to name).
  public static func withImageViews(_ spec: ModelSpec, _ s: TrainingSettings) -> ModelSpec {
    guard spec.imageViews == nil, imageKind(spec.architecture) == .pixels else { return spec }
    var spec = spec
    spec.imageViews = imageViews(flip: s.flipImages, turn: s.turnImages)
    return spec
  }

  /// The settings for a spec: every value the user left unset (nil) from the input kinds;
  /// `multiLabel`: some training pair holds more than one label; `upright`: the images have an
  /// upright (CorpusInfo).
  public static func settings(for spec: ModelSpec, base: TrainingSettings = TrainingSettings(), similarity: SimilarityKind? = nil,
                              epochs: Int? = nil, batchSize: Int? = nil, imageLearningRate: Float? = nil, textLearningRate: Float? = nil,
                              labelEpochs: Int? = nil, labelWeight: Float? = nil, turnImages: Bool? = nil,
                              multiLabel: Bool = false, upright: Bool = true) -> TrainingSettings {
    let image = imageKind(spec.architecture), text = textKind(spec)
    var s = base
    s.similarity = similarity ?? Self.similarity(for: s.loss)
    s.epochs = epochs ?? Self.epochs(imageKind: image)
    // A tower frozen below its head (--train-layers) has no backbone for label epochs to teach.
    s.labelEpochs = labelEpochs ?? Self.labelEpochs(imageKind: image, multiLabel: multiLabel, fromScratch: s.pretrained == nil && s.trainLayers == .all,
                                                    epochs: s.epochs)
    s.labelWeight = labelWeight ?? Self.labelWeight(labelEpochs: s.labelEpochs)
    s.turnImages = turnImages ?? Self.turnImages(imageKind: image, upright: upright)
    s.batchSize = batchSize ?? Self.batchSize(imageKind: image)
    s.imageLearningRate = imageLearningRate ?? Self.imageLearningRate(image)
    s.textLearningRate = textLearningRate ?? Self.textLearningRate(imageKind: image, textKind: text)
    return s
  }

  /// One line saying what a run was given: input kinds, tower shapes, rates, epochs, batch.
  public static func summary(_ spec: ModelSpec, _ s: TrainingSettings) -> String {
    let widths = { (h: [Int]) in h.isEmpty ? "no hidden layer" : h.map(String.init).joined(separator: ",") }
    return "image tower \(spec.architecture.rawValue) on \(imageKind(spec.architecture).rawValue) (\(widths(spec.imageHidden)), rate \(s.imageLearningRate)); "
      + "text tower on \(textKind(spec).rawValue) (\(widths(spec.textHidden)), rate \(s.textLearningRate)); "
      + (s.labelEpochs > 0 ? "\(s.labelEpochs) label epochs, then " : "")
      + "\(s.epochs) epochs, batch \(s.batchSize), \(s.loss.rawValue) loss, similarity \(s.similarity.rawValue)"
  }
}

extension ModelSpec {
  /// The spec of a new model for `corpus`: the image tower reads pixels when the training pairs
  /// have image files (compact10 unless told), feature rows otherwise; the text input follows
  /// `TextInputs.input(for:training:)`; dense feature rows get the training split's scaling, and
  /// hidden layers left unset follow TrainingDefaults for the input kinds.
  public static func make(for corpus: Corpus, training: [Int], bits: Int, architecture: ImageArchitecture? = nil,
                          inputSize: Int? = nil, width: Int = 64, imageHidden: [Int]? = nil, textHidden: [Int]? = nil) throws -> ModelSpec {
    let hasImages = training.allSatisfy { corpus.pairs[$0].image != nil }
    let chosen = architecture ?? (hasImages ? .compact10 : .mlp)
    if chosen == .mlp && corpus.imageFeatures == nil {
      throw TrainingError(description: "\(corpus.directory.path): the mlp image tower needs features/image.npy, and the corpus has none; choose resnet34 or compact10")
    }
    if chosen != .mlp && !hasImages {
      throw TrainingError(description: "\(corpus.directory.path): some training pairs have no image file, so the \(chosen.rawValue) tower cannot read them\(corpus.imageFeatures != nil ? "; the corpus has feature rows: choose mlp" : "")")
    }
    var spec = ModelSpec(bits: bits, architecture: chosen, inputSize: inputSize ?? (chosen == .resnet34 ? 224 : 64), width: width,
                         imageHidden: imageHidden ?? TrainingDefaults.imageHidden(chosen),
                         imageFeatures: chosen == .mlp ? corpus.imageFeatures?.columns : nil,
                         text: TextInputs.input(for: corpus, training: training), textHidden: [], labels: corpus.info.labels)
    if chosen == .compact10 { spec.stemStride = TrainingDefaults.stemStride(inputSize: spec.inputSize) }
    if chosen == .mlp, let rows = corpus.imageFeatures?.subset(training) { spec.imageScaling = FeatureScaling.fit(rows) }
    if case .features = spec.text, let rows = corpus.textFeatures?.subset(training) { spec.textScaling = FeatureScaling.forTraining(rows) }
    spec.textHidden = textHidden ?? TrainingDefaults.textHidden(imageKind: TrainingDefaults.imageKind(chosen), textKind: TrainingDefaults.textKind(spec))
    return spec
  }
}
