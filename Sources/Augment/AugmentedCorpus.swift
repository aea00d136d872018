// AugmentedCorpus: a corpus with synthetic pairs added to its training split, in the model's input
// space (image files, or feature rows), for whole-model pre-training. It is written as a corpus
// folder of its own whose pairs name their images by absolute path, so the real corpus's files and
// pixel cache stay as they are; query and retrieval sets are the real corpus's, untouched.

import Corpus
import Foundation

/// Pairs to add: each with its image file (absolute path) or its feature rows, text and labels.
public struct InputPairs: Sendable {
  public var pairs: [Pair]
  /// One row per pair when the corpus has feature rows for that side.
  public var imageRows: FeatureMatrix?, textRows: FeatureMatrix?
  /// Where each pair's text came from ("real pair ID", "copy of real pair ID", "manifest line N").
  public var sources: [String]

  public init(pairs: [Pair], imageRows: FeatureMatrix? = nil, textRows: FeatureMatrix? = nil, sources: [String]? = nil) {
    (self.pairs, self.imageRows, self.textRows) = (pairs, imageRows, textRows)
    self.sources = sources ?? pairs.map { _ in "" }
  }

  /// Copies of `corpus`'s pairs `indices` as synthetic pairs named `prefix-N` (images by absolute
  /// path, feature rows copied): oversampling's and the oracle's "synthetic" pairs.
  public static func copies(of indices: [Int], in corpus: Corpus, prefix: String) -> InputPairs {
    let pairs = indices.enumerated().map { n, i in
      Pair(id: "\(prefix)-\(n)", image: corpus.imageURL(corpus.pairs[i]).map(\.path), text: corpus.pairs[i].text,
           labels: corpus.pairs[i].labels, synthetic: true)
    }
    return InputPairs(pairs: pairs, imageRows: corpus.imageFeatures?.subset(indices), textRows: corpus.textFeatures?.subset(indices),
                      sources: indices.map { "copy of real pair \(corpus.pairs[$0].id)" })
  }
}

public enum AugmentedCorpus {
  /// Writes `corpus` with `added` appended to its pairs and its training split into `folder`, and
  /// returns it loaded. The added pairs must have what the corpus's pairs have (feature rows where
  /// it has them) and labels of its label list.
  public static func make(_ corpus: Corpus, adding added: InputPairs, in folder: URL) throws -> Corpus {
    var splits = try corpus.requireSplits()
    let taken = Set(corpus.pairs.map(\.id))
    for (n, pair) in added.pairs.enumerated() {
      if taken.contains(pair.id) { throw CorpusError(folder.path, "synthetic pair \(n + 1) has the id \(pair.id), which a real pair has") }
      if let bad = pair.labels.first(where: { $0 < 0 || $0 >= corpus.info.labels.count }) {
        throw CorpusError(folder.path, "synthetic pair \(pair.id) has label \(bad); the corpus has \(corpus.info.labels.count) labels")
      }
    }
    var result = corpus
    result.directory = folder
    result.pairs = corpus.pairs.map { pair in
      var absolute = pair
      absolute.image = corpus.imageURL(pair).map(\.path)
      return absolute
    } + added.pairs
    splits.train += corpus.pairs.count..<(corpus.pairs.count + added.pairs.count)
    result.splits = splits
    result.imageFeatures = try appended(corpus.imageFeatures, added.imageRows, side: "image", count: added.pairs.count, folder: folder)
    result.textFeatures = try appended(corpus.textFeatures, added.textRows, side: "text", count: added.pairs.count, folder: folder)
    result.info.source += " | \(added.pairs.count) synthetic training pairs"
    try result.write(to: folder)
    return result
  }

  private static func appended(_ real: FeatureMatrix?, _ added: FeatureMatrix?, side: String, count: Int, folder: URL) throws -> FeatureMatrix? {
    guard let real, count > 0 else { return real }
    guard let added, added.rows == count, added.columns == real.columns else {
      throw CorpusError(folder.path, "the corpus has \(side) feature rows of \(real.columns) columns; the synthetic pairs need one such row each")
    }
    return FeatureMatrix(rows: real.rows + count, columns: real.columns, values: real.values + added.values)
  }
}
