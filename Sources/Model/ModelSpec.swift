// ModelSpec: everything needed to rebuild a cross-modal model's two towers — stored as the model
// file's JSON header beside the tensors, with the vocabulary, label names and how it was trained.

import Corpus
import TextNet

public enum ImageArchitecture: String, Codable, CaseIterable, Sendable {
  /// torchvision's ResNet-34 body and the hash head (pixels).
  case resnet34
  /// Eight convolutions in the ResNet style, fc 4,096, hash layer (pixels).
  case compact10
  /// Hidden ReLU layers and the hash head on a corpus's image feature rows.
  case mlp
}

/// Where the text tower's input rows come from.
public enum TextInput: Codable, Equatable, Sendable {
  /// Texts tokenised over a vocabulary built from the training texts.
  case words(Vocabulary)
  /// The corpus's text feature rows (a tag bag-of-words matrix, LDA topics); `vocabulary` names
  /// the columns when they are words, so free text can still be encoded.
  case features(columns: Int, vocabulary: Vocabulary?)

  public var columns: Int {
    switch self {
    case .words(let v): return v.count
    case .features(let columns, _): return columns
    }
  }

  /// The vocabulary free text is encoded with, if any.
  public var vocabulary: Vocabulary? {
    switch self {
    case .words(let v): return v
    case .features(_, let v): return v
    }
  }
}

public struct ModelSpec: Codable, Equatable, Sendable {
  public var bits: Int
  public var architecture: ImageArchitecture
  /// Image side for pixel towers (the preprocessing's output size).
  public var inputSize: Int
  /// First-stage channels of the convolutional towers (64 as in torchvision).
  public var width: Int
  /// Hidden units before the image hash layer (compact10: 4,096; resnet34: none by default).
  public var imageHidden: [Int]
  /// Columns of the image feature rows for the mlp tower.
  public var imageFeatures: Int?
  public var text: TextInput
  public var textHidden: [Int]
  public var labels: [String]
  /// Standardisation of dense image / text feature rows (nil: rows as they are, and every model
  /// file written before scaling existed).
  public var imageScaling: FeatureScaling?
  public var textScaling: FeatureScaling?
  /// How much compact10's stem shrinks the image (4: ImageNet's stem, and every model file written
  /// before small stems existed; 2 or 1 for small images).
  public var stemStride: Int?
  /// Placements of each image whose outputs the image tower averages when it encodes: 1 (the image
  /// as given; nil: every model file written before views existed), 2 (and its mirror image) or 8
  /// (the eight symmetries of the square, for images without an upright). Training sees the same
  /// placements at random, so the average is the tower's answer for the image rather than for one
  /// of its placements (docs/labels.md: MAP and the named shape rise on every shapes corpus).
  public var imageViews: Int?

  public init(bits: Int, architecture: ImageArchitecture, inputSize: Int, width: Int = 64, imageHidden: [Int],
              imageFeatures: Int? = nil, text: TextInput, textHidden: [Int] = [4096, 4096], labels: [String]) {
    self.bits = bits
    self.architecture = architecture
    self.inputSize = inputSize
    self.width = width
    self.imageHidden = imageHidden
    self.imageFeatures = imageFeatures
    self.text = text
    self.textHidden = textHidden
    self.labels = labels
  }

  enum CodingKeys: String, CodingKey {
    case bits, architecture, width, text, labels
    case inputSize = "input_size", imageHidden = "image_hidden", imageFeatures = "image_features", textHidden = "text_hidden"
    case imageScaling = "image_scaling", textScaling = "text_scaling", stemStride = "stem_stride"
    case imageViews = "image_views"
  }

  /// The image views a model file may name.
  public static let supportedViews = [1, 2, 8]
}
