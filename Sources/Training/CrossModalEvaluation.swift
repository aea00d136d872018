// CrossModalEvaluation: MAP and the other retrieval measures of a model on a corpus's query and
// retrieval sets, in the four directions (image→text, text→image, image→image, text→text).

import Corpus
import Hashing
import Model
import Platform

public struct CodeSet: Sendable {
  public var image: BinaryCodes
  public var text: BinaryCodes
  public var labels: LabelSets
  /// The towers' real-valued outputs behind the codes (row-major, `bits` a row), for re-ranking;
  /// empty when only the codes are known.
  public var imageOutputs: [Float], textOutputs: [Float]

  public init(image: BinaryCodes, text: BinaryCodes, labels: LabelSets, imageOutputs: [Float] = [], textOutputs: [Float] = []) {
    self.image = image
    self.text = text
    self.labels = labels
    self.imageOutputs = imageOutputs
    self.textOutputs = textOutputs
  }

  /// Codes from the towers' outputs (row-major, `bits` a row).
  public init(imageOutputs: [Float], textOutputs: [Float], bits: Int, labels: LabelSets) {
    let codes = { (values: [Float]) in
      values.isEmpty ? BinaryCodes(words: [], bits: bits) : values.withUnsafeBufferPointer { BinaryCodes(signs: $0.baseAddress!, count: values.count / bits, bits: bits) }
    }
    self.init(image: codes(imageOutputs), text: codes(textOutputs), labels: labels, imageOutputs: imageOutputs, textOutputs: textOutputs)
  }

  /// The items at `indices` (queries with a tail label, say).
  public func subset(_ indices: [Int]) -> CodeSet {
    let rows = { (values: [Float], bits: Int) in values.isEmpty ? [] : indices.flatMap { values[$0 * bits..<($0 + 1) * bits] } }
    return CodeSet(image: image.subset(indices), text: text.subset(indices), labels: labels.subset(indices),
                   imageOutputs: rows(imageOutputs, image.bits), textOutputs: rows(textOutputs, text.bits))
  }

  /// The outputs of one modality as an index stores them (int8), when known.
  public func stored(_ modality: Modality) -> StoredOutputs? {
    let values = modality == .image ? imageOutputs : textOutputs, codes = modality == .image ? image : text
    guard !values.isEmpty else { return nil }
    return values.withUnsafeBufferPointer { StoredOutputs(quantizing: $0.baseAddress!, count: codes.count, dimension: codes.bits) }
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
  /// Under mpirun each rank encodes its contiguous part of the pairs, in whole batches of the
  /// encoders, and every rank gets them all, the same as one process computes them; each rank decodes only its part where the corpus has
  /// no pixel cache (one process writes the cache for later runs).
  public static func codes(_ model: CrossModalModel, corpus: Corpus, pairs: [Int], progress: (Int) -> Void = { _ in }) throws -> CodeSet {
    let ranks = DataParallel.current
    let part = ranks.map { Array(pairs[$0.share(pairs.count, inBlocksOf: CrossModalModel.textBatch)]) } ?? pairs
    let images = try ImageInputs.load(corpus, pairs: part, spec: model.spec, onlyThese: ranks != nil) { progress($0 / 2) }
    let texts = try TextInputs.load(corpus, pairs: part, spec: model.spec)
    let mine = codes(model, images: images, texts: texts, labels: labels(corpus, part)) { progress(part.count / 2 + $0 / 2) }
    guard let ranks else { return mine }
    return CodeSet(imageOutputs: ranks.world.gather(mine.imageOutputs), textOutputs: ranks.world.gather(mine.textOutputs),
                   bits: model.spec.bits, labels: labels(corpus, pairs))
  }

  /// The same with a progress bar labelled `label` on `console`.
  public static func codes(_ model: CrossModalModel, corpus: Corpus, pairs: [Int], label: String, console: Console) throws -> CodeSet {
    let bar = console.progress(total: pairs.count, label: label)
    defer { bar.finish() }
    return try codes(model, corpus: corpus, pairs: pairs) { bar.update($0) }
  }

  /// Codes of both modalities from inputs already loaded.
  public static func codes(_ model: CrossModalModel, images: ImageInputs, texts: TextInputs, labels: LabelSets, progress: (Int) -> Void = { _ in }) -> CodeSet {
    let imageOutputs = model.imageOutputs(images) { progress($0 / 2) }
    let textOutputs = model.textOutputs(texts) { progress(images.count / 2 + $0 / 2) }
    return CodeSet(imageOutputs: imageOutputs.scalars, textOutputs: textOutputs.scalars, bits: model.spec.bits, labels: labels)
  }

  public static func labels(_ corpus: Corpus, _ pairs: [Int]) -> LabelSets {
    LabelSets(pairs.map { corpus.pairs[$0].labels }, labelCount: corpus.info.labels.count)
  }

  /// The report for each direction asked for. With a re-ranking, the retrieval set's outputs are
  /// quantised as an index stores them, and the queries' outputs are used as computed.
  public static func evaluate(queries: CodeSet, retrieval: CodeSet, directions: [Direction] = Direction.allCases,
                              options: EvaluationOptions = EvaluationOptions(), rerank: RerankMethod = .none,
                              settings: RerankSettings = RerankSettings()) -> [(Direction, RetrievalReport)] {
    let stored = rerank == .none ? [:] : [Modality.image: retrieval.stored(.image), .text: retrieval.stored(.text)]
    return directions.map { d in
      let fromImage = d == .i2t || d == .i2i, toImage = d == .t2i || d == .i2i
      let q = fromImage ? queries.image : queries.text, r = toImage ? retrieval.image : retrieval.text
      guard rerank != .none else {
        return (d, RetrievalMetrics.evaluate(queries: q, queryLabels: queries.labels, database: r, databaseLabels: retrieval.labels, options: options))
      }
      let outputs = fromImage ? queries.imageOutputs : queries.textOutputs
      precondition(!outputs.isEmpty, "evaluate: re-ranking needs the queries' outputs")
      return (d, RerankedMetrics.evaluate(queries: q, queryOutputs: outputs, queryLabels: queries.labels, database: r,
                                          databaseOutputs: stored[toImage ? .image : .text] ?? nil, databaseLabels: retrieval.labels,
                                          method: rerank, settings: settings, options: options))
    }
  }
}
