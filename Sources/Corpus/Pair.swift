// Pair: one line of pairs.jsonl — an image and a text with their labels.

import Foundation

public struct Pair: Encodable, Equatable, Sendable {
  public var id: String
  /// Image path relative to the corpus directory, or nil when the pair has only an image feature row.
  public var image: String?
  /// The text, or nil when the pair has only a text feature row.
  public var text: String?
  /// Indices into the corpus's label names.
  public var labels: [Int]
  /// Generated for training (augmentation); never in query or retrieval sets.
  public var synthetic: Bool

  public init(id: String, image: String?, text: String?, labels: [Int], synthetic: Bool = false) {
    self.id = id
    self.image = image
    self.text = text
    self.labels = labels
    self.synthetic = synthetic
  }

  enum CodingKeys: String, CodingKey { case id, image, text, labels, synthetic }
}
