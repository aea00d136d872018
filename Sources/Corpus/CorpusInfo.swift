// CorpusInfo: corpus.json, the description of a corpus (name, label names, source, text settings).

import Foundation

public enum TextMode: String, Codable, Sendable, CaseIterable {
  /// Each text is a list of tags, one token each (MIRFlickr).
  case tags
  /// Each text is a sentence or caption (COCO, IAPR TC-12).
  case sentences
}

/// Whether a collection's images have an upright. Photos do (the sky is up) and train mirrored
/// only; shapes drawn at any angle, aerial and microscope images do not, and train turned by
/// quarter turns as well (docs/labels.md: on the demo that put the named shape in 0.85 of a text
/// query's top 10, from 0.74).
public enum ImageOrientation: String, Codable, Sendable, CaseIterable {
  case upright, any
}

public struct CorpusInfo: Codable, Equatable, Sendable {
  public var name: String
  public var labels: [String]
  /// Where the corpus came from (the generator and its settings, or the importer and its files).
  public var source: String
  public var textMode: TextMode
  /// The vocabulary: the columns of features/text.npy when texts come as a bag-of-words matrix,
  /// or the words an importer chose by the protocol's rule (COCO: the most frequent).
  public var textVocabulary: [String]?
  /// The kind of each label (shape, colour, scene), when the corpus names kinds: per-label figures
  /// are then grouped by kind, and conjunctive queries name one label of each kind.
  public var labelKinds: [String]?
  /// nil: upright.
  public var orientation: ImageOrientation?
  public var format = 1

  /// The images have an upright (the default), so training does not turn them.
  public var upright: Bool { orientation != .any }

  /// Made by one of cmh's generators (`cmh corpus make-shapes`, `make-features`), wholly or in part.
  public var isGenerated: Bool { source.hasPrefix("cmh corpus make-") }

  public init(name: String, labels: [String], source: String, textMode: TextMode, textVocabulary: [String]? = nil, labelKinds: [String]? = nil,
              orientation: ImageOrientation? = nil) {
    self.labelKinds = labelKinds
    self.orientation = orientation
    self.name = name
    self.labels = labels
    self.source = source
    self.textMode = textMode
    self.textVocabulary = textVocabulary
  }

  enum CodingKeys: String, CodingKey {
    case name, labels, source, format
    case textMode = "text_mode", textVocabulary = "text_vocabulary", labelKinds = "label_kinds", orientation
  }
}
