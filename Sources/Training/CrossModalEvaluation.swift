// CrossModalEvaluation: MAP and the other retrieval measures of a model on a corpus's query and
// retrieval sets, in the four directions (image→text, text→image, image→image, text→text).

import Corpus
import Hashing

public struct CodeSet: Sendable {
  public var image: BinaryCodes
  public var text: BinaryCodes
  public var labels: LabelSets

  public init(image: BinaryCodes, text: BinaryCodes, labels: LabelSets) {
    self.image = image
    self.text = text
    self.labels = labels
  }

  /// The items at `indices` (queries with a tail label, say).
  public func subset(_ indices: [Int]) -> CodeSet {
    CodeSet(image: image.subset(indices), text: text.subset(indices), labels: labels.subset(indices))
  }
}

public enum Direction: String, CaseIterable, Sendable {
  case i2t, t2i, i2i, t2t
  public var title: String {
    switch self {
    case .i2t: return "Image→Text"
    case .t2i: return "Text→Image"
    case .i2i: return "Image→Image"
    case .t2t: return "Text→Text"
    }
  }
}

public enum CrossModalEvaluation {
  /// Codes of both modalities for `pairs` of `corpus` (`progress` counts pairs decoded, then encoded).
  public static func codes(_ model: CrossModalModel, corpus: Corpus, pairs: [Int], progress: (Int) -> Void = { _ in }) throws -> CodeSet {
    let images = try ImageInputs.load(corpus, pairs: pairs, spec: model.spec) { progress($0 / 2) }
    let texts = try TextInputs.load(corpus, pairs: pairs, spec: model.spec)
    return codes(model, images: images, texts: texts, labels: labels(corpus, pairs)) { progress(pairs.count / 2 + $0 / 2) }
  }

  /// Codes of both modalities from inputs already loaded.
  public static func codes(_ model: CrossModalModel, images: ImageInputs, texts: TextInputs, labels: LabelSets, progress: (Int) -> Void = { _ in }) -> CodeSet {
    let imageCodes = model.imageCodes(images) { progress($0 / 2) }
    let textCodes = model.textCodes(texts) { progress(images.count / 2 + $0 / 2) }
    return CodeSet(image: imageCodes, text: textCodes, labels: labels)
  }

  public static func labels(_ corpus: Corpus, _ pairs: [Int]) -> LabelSets {
    LabelSets(pairs.map { corpus.pairs[$0].labels }, labelCount: corpus.info.labels.count)
  }

  /// The report for each direction asked for.
  public static func evaluate(queries: CodeSet, retrieval: CodeSet, directions: [Direction] = Direction.allCases,
                              options: EvaluationOptions = EvaluationOptions()) -> [(Direction, RetrievalReport)] {
    directions.map { d in
      let q = d == .i2t || d == .i2i ? queries.image : queries.text
      let r = d == .t2i || d == .i2i ? retrieval.image : retrieval.text
      return (d, RetrievalMetrics.evaluate(queries: q, queryLabels: queries.labels, database: r, databaseLabels: retrieval.labels, options: options))
    }
  }
}
