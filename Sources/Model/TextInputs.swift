// TextInputs: the text tower's sparse input rows for a list of pairs — bag-of-words over the
// model's vocabulary, or the corpus's text feature rows — and what the vocabulary left out.

import Corpus
import Tensor
import TextNet

public struct TextInputs: Sendable {
  public let rows: SparseRows
  public let coverage: Vocabulary.Coverage?

  public init(rows: SparseRows, coverage: Vocabulary.Coverage?) {
    self.rows = rows
    self.coverage = coverage
  }

  public var count: Int { rows.rowCount }
  public func batch(_ indices: [Int]) -> SparseRows { rows.rows(indices) }

  /// The same rows standardised by a model's text scaling (nil: unchanged).
  public func scaled(_ scaling: FeatureScaling?) -> TextInputs {
    scaling.map { TextInputs(rows: $0.apply(rows), coverage: coverage) } ?? self
  }

  /// The rows of `pairs` (indices into the corpus) for a model with `spec`; feature rows are
  /// standardised by its text scaling (words never have one).
  public static func load(_ corpus: Corpus, pairs: [Int], spec: ModelSpec) throws -> TextInputs {
    switch spec.text {
    case .words(let vocabulary):
      let texts = try pairs.map { i -> String in
        guard let text = corpus.pairs[i].text else {
          throw TrainingError(description: "\(corpus.directory.path)/pairs.jsonl: pair \(corpus.pairs[i].id) has no text, and the model reads words")
        }
        return text
      }
      let (rows, coverage) = vocabulary.encode(texts)
      return TextInputs(rows: rows, coverage: coverage)
    case .features(let columns, _):
      guard let features = corpus.textFeatures else {
        throw TrainingError(description: "\(corpus.directory.path): the model's text tower reads feature rows, and this corpus has no features/text.npy")
      }
      guard features.columns == columns else {
        throw TrainingError(description: "\(corpus.directory.path)/features/text.npy: \(features.columns) columns, the model expects \(columns)")
      }
      let rows = features.subset(pairs)
      return TextInputs(rows: SparseRows(rowMajor: (spec.textScaling?.apply(rows) ?? rows).values, columnCount: columns), coverage: nil)
    }
  }

  /// The text input a new model gets for `corpus`: its text feature rows when it has them (named
  /// by the corpus's vocabulary, a query over which is scaled to the training rows' mean norm, as
  /// words are), otherwise words of the training texts seen at least twice.
  public static func input(for corpus: Corpus, training: [Int], minimumCount: Int = 2, limit: Int = 20_000) -> TextInput {
    if let features = corpus.textFeatures {
      let named = corpus.info.textVocabulary.flatMap { words in
        words.count == features.columns ? Vocabulary(words: words, mode: corpus.info.textMode, queryNorm: Vocabulary.meanNorm(
          of: SparseRows(rowMajor: features.subset(training).values, columnCount: features.columns))) : nil
      }
      return .features(columns: features.columns, vocabulary: named)
    }
    let texts = training.compactMap { corpus.pairs[$0].text }
    return .words(Vocabulary.build(texts, mode: corpus.info.textMode, minimumCount: minimumCount, limit: limit))
  }
}
