// CorpusStats: sizes, label frequencies and the imbalance ratio of a corpus.

import Foundation

public struct CorpusStats: Sendable {
  public let pairs: Int, synthetic: Int
  public let labelCounts: [Int]
  public let labelsPerPair: Double, wordsPerText: Double
  public let vocabulary: Int
  /// Most frequent label's count over the least frequent's (labels that occur at all).
  public let imbalance: Double

  public init(_ corpus: Corpus) {
    pairs = corpus.pairs.count
    synthetic = corpus.pairs.filter(\.synthetic).count
    var counts = [Int](repeating: 0, count: corpus.info.labels.count)
    for pair in corpus.pairs { for l in pair.labels where l >= 0 && l < counts.count { counts[l] += 1 } }
    labelCounts = counts
    labelsPerPair = Double(corpus.pairs.reduce(0) { $0 + $1.labels.count }) / Double(max(pairs, 1))
    let texts = corpus.pairs.compactMap(\.text), tokenizer = Tokenizer(mode: corpus.info.textMode)
    let words = texts.map(tokenizer.tokens)
    wordsPerText = Double(words.reduce(0) { $0 + $1.count }) / Double(max(texts.count, 1))
    vocabulary = corpus.info.textVocabulary?.count ?? Set(words.joined()).count
    let present = counts.filter { $0 > 0 }
    imbalance = Double(present.max() ?? 0) / Double(max(present.min() ?? 1, 1))
  }
}
