// SyntheticTexts: the text side of a generated pair. A real training pair's text whose label set is
// the one generated (drawn with the seed among them); where no real pair has that set, one composed
// of real texts of its labels, each label's taken from a pair that holds it, joined by "and" (for
// feature rows: the pairs' text rows merged). Each says where it came from, for synthetic.jsonl.

import Corpus
import Tensor

public struct SyntheticText: Sendable {
  /// nil for a corpus whose texts are feature rows only.
  public var text: String?
  /// "real pair ID", or "composed of pairs ID, ID".
  public var source: String
  /// The pairs (positions in the corpus) it came from.
  public var pairs: [Int]
}

public struct SyntheticTexts {
  private let corpus: Corpus
  private var bySet = [[Int]: [Int]](), byLabel = [Int: [Int]]()
  private var generator: RandomGenerator

  /// Texts from `corpus`'s training pairs.
  public init(_ corpus: Corpus, seed: UInt64) {
    self.corpus = corpus
    for i in corpus.splits?.train ?? [] {
      bySet[corpus.pairs[i].labels.sorted(), default: []].append(i)
      for l in corpus.pairs[i].labels { byLabel[l, default: []].append(i) }
    }
    generator = RandomGenerator(seed: seed &+ 0x7E47)
  }

  /// A text for `labels`; nil when neither the set nor one of its labels has a real text.
  public mutating func text(for labels: [Int]) -> SyntheticText? {
    if let pairs = bySet[labels.sorted()] {
      let i = pairs[generator.nextInt(below: pairs.count)]
      return SyntheticText(text: corpus.pairs[i].text, source: "real pair \(corpus.pairs[i].id)", pairs: [i])
    }
    var parts = [Int]()
    for l in labels.sorted() {
      guard let pairs = byLabel[l] else { return nil }
      let i = pairs[generator.nextInt(below: pairs.count)]
      if !parts.contains(i) { parts.append(i) }
    }
    guard !parts.isEmpty else { return nil }
    let texts = parts.compactMap { corpus.pairs[$0].text }
    return SyntheticText(text: texts.isEmpty ? nil : texts.joined(separator: " and "),
                         source: "composed of pairs " + parts.map { corpus.pairs[$0].id }.joined(separator: ", "), pairs: parts)
  }
}
