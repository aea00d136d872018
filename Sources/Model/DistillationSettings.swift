// DistillationSettings: the options of one contextual-similarity distillation (`cmh distill`), and
// the record a distilled model keeps of the gallery model it answers to.

import Foundation

public struct DistillationSettings: Codable, Equatable, Sendable {
  /// Gallery codes in each item's context: its nearest under the gallery model, then random ones
  /// (redrawn every epoch) so that the context also reaches the far part of the gallery.
  public var neighbours = 128, negatives = 32
  /// Softmax temperatures of the student's and the teacher's context similarities.
  public var studentTemperature: Float = 0.05, teacherTemperature: Float = 0.01
  /// Weights of the contextual KL term, the first-order term (student output against teacher
  /// output) and the quantization term α‖sign(u) − u‖².
  public var contextual: Float = 1, firstOrder: Float = 0.3, alpha: Float = 0.01
  public var epochs = 30
  public var batchSize = 64
  public var imageLearningRate: Float = 1e-4, textLearningRate: Float = 1e-4
  /// The learning rates halve every this many epochs.
  public var halveEvery = 15
  /// Every this many epochs (0: never) the last quarter of each context is replaced by the gallery
  /// codes nearest to the student's own code that the teacher did not rank in its first three quarters.
  public var refreshEvery = 0
  public var seed: UInt64 = 1

  public init() {}

  enum CodingKeys: String, CodingKey {
    case neighbours, negatives, contextual, alpha, epochs, seed
    case studentTemperature = "student_temperature", teacherTemperature = "teacher_temperature", firstOrder = "first_order"
    case batchSize = "batch_size", imageLearningRate = "image_lr", textLearningRate = "text_lr"
    case halveEvery = "halve_every", refreshEvery = "refresh_every"
  }

  /// What is out of range, if anything (a damaged checkpoint must not reach the distiller).
  public var problem: String? {
    let positive = [("student_temperature", studentTemperature), ("teacher_temperature", teacherTemperature),
                    ("image_lr", imageLearningRate), ("text_lr", textLearningRate)]
    let notNegative = [("contextual", contextual), ("first_order", firstOrder), ("alpha", alpha)]
    if let (name, v) = positive.first(where: { !($0.1.isFinite && $0.1 > 0) }) { return "\(name) is \(v), expected a positive number" }
    if let (name, v) = notNegative.first(where: { !($0.1.isFinite && $0.1 >= 0) }) { return "\(name) is \(v), expected a number ≥ 0" }
    if contextual == 0 && firstOrder == 0 { return "contextual and first_order are both 0: nothing would tie the student to the gallery" }
    if !(1...(1 << 20)).contains(batchSize) || !(1...(1 << 20)).contains(neighbours) || !(0...(1 << 20)).contains(negatives) {
      return "batch_size \(batchSize), neighbours \(neighbours) or negatives \(negatives) out of range"
    }
    if !(1...1_000_000).contains(epochs) || halveEvery < 1 || refreshEvery < 0 { return "epochs \(epochs), halve_every \(halveEvery) or refresh_every \(refreshEvery) out of range" }
    return nil
  }

}

/// What a distilled model keeps of its gallery model and of how it was distilled.
public struct DistillationRecord: Codable, Equatable, Sendable {
  /// `ModelFingerprint` of the gallery model, as 16 hex digits (what index files record).
  public var galleryFingerprint: String
  /// The gallery model's file, as it was given.
  public var galleryModel: String
  public var settings: DistillationSettings
  public var corpus: String
  public var pairs: Int
  public var epochsDone: Int

  public init(galleryFingerprint: UInt64, galleryModel: String, settings: DistillationSettings, corpus: String, pairs: Int, epochsDone: Int) {
    self.galleryFingerprint = String(format: "%016llx", galleryFingerprint)
    self.galleryModel = galleryModel
    self.settings = settings
    self.corpus = corpus
    self.pairs = pairs
    self.epochsDone = epochsDone
  }

  public var fingerprint: UInt64? { UInt64(galleryFingerprint, radix: 16) }

  /// A record whose fingerprint is not 16 hex digits would let the small model search any index.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    galleryFingerprint = try c.decode(String.self, forKey: .galleryFingerprint)
    galleryModel = try c.decode(String.self, forKey: .galleryModel)
    settings = try c.decode(DistillationSettings.self, forKey: .settings)
    corpus = try c.decode(String.self, forKey: .corpus)
    pairs = try c.decode(Int.self, forKey: .pairs)
    epochsDone = try c.decode(Int.self, forKey: .epochsDone)
    guard galleryFingerprint.count == 16, UInt64(galleryFingerprint, radix: 16) != nil else {
      throw DecodingError.dataCorruptedError(forKey: .galleryFingerprint, in: c, debugDescription: "gallery_fingerprint is \"\(galleryFingerprint)\", expected 16 hex digits")
    }
  }

  enum CodingKeys: String, CodingKey {
    case settings, corpus, pairs
    case galleryFingerprint = "gallery_fingerprint", galleryModel = "gallery_model", epochsDone = "epochs_done"
  }
}
