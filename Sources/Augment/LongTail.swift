// LongTail: how long-tailed a corpus's training pairs are — label counts, the imbalance ratio,
// head / medium / tail groups — and a long-tailed version of a balanced corpus for experiments.

import Corpus
import Foundation

public struct LongTailProfile: Sendable {
  public let labelCounts: [Int]
  /// Label indices from the most to the least frequent.
  public let order: [Int]
  /// The labels in the most frequent, middle and least frequent third of `order`.
  public let head: [Int], medium: [Int], tail: [Int]
  /// Most frequent label's count over the least frequent's (of the labels present).
  public let imbalance: Double
  /// Distinct label sets and how many pairs have each.
  public let labelSets: [[Int]: Int]

  public init(_ labels: [[Int]], labelCount: Int) {
    var counts = [Int](repeating: 0, count: labelCount), sets = [[Int]: Int]()
    for set in labels {
      for l in set where l >= 0 && l < labelCount { counts[l] += 1 }
      sets[set.sorted(), default: 0] += 1
    }
    labelCounts = counts
    order = (0..<labelCount).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    let third = (labelCount + 2) / 3
    head = Array(order.prefix(third))
    tail = Array(order.suffix(third))
    medium = Array(order.dropFirst(third).dropLast(third))
    let present = counts.filter { $0 > 0 }
    imbalance = Double(present.max() ?? 0) / Double(max(present.min() ?? 1, 1))
    labelSets = sets
  }

  public func group(of label: Int) -> String { head.contains(label) ? "head" : tail.contains(label) ? "tail" : "medium" }
}

public enum LongTail {
  /// The corpus with its training split thinned so that label frequencies fall off exponentially
  /// from the most frequent label to the least, by `imbalance` (head count / tail count). A pair is
  /// kept while every one of its labels is under that label's target; query and
  /// retrieval sets are untouched, so results on them compare with the balanced corpus.
  public static func subsample(_ corpus: Corpus, imbalance: Double, seed: UInt64) throws -> Corpus {
    guard var splits = corpus.splits else {
      throw CorpusError(corpus.directory.path, "no splits: make them first with `cmh corpus split`")
    }
    precondition(imbalance >= 1, "LongTail.subsample: the imbalance ratio is at least 1")
    let labelCount = corpus.info.labels.count
    // Labels take their place on the falling profile in a seeded random order: a balanced corpus
    // has no order of its own, and ranking by count would put labels that every pair carries one of
    // (a scene, say) together at the tail and cap the whole split.
    var g = SplitGenerator(seed: seed)
    let top = Double(LongTailProfile(splits.train.map { corpus.pairs[$0].labels }, labelCount: labelCount).labelCounts.max() ?? 0)
    var target = [Double](repeating: 0, count: labelCount)
    for (r, label) in g.shuffled(Array(0..<labelCount)).enumerated() {
      target[label] = max(1, top * pow(1 / imbalance, Double(r) / Double(max(labelCount - 1, 1))))
    }
    // Pairs carry several labels: taken in random order, most pairs with a head label also carry a
    // label that is already full, and the head stays far below its target. So the pairs whose
    // labels all have high targets go first (random among equals), the tail fills from the rest.
    let floor = { (i: Int) in corpus.pairs[i].labels.map { target[$0] }.min() ?? 0 }
    let order = g.shuffled(splits.train).enumerated().sorted { a, b in
      floor(a.element) != floor(b.element) ? floor(a.element) > floor(b.element) : a.offset < b.offset
    }.map(\.element)
    var counts = [Double](repeating: 0, count: labelCount), kept = [Int]()
    for i in order {
      let labels = corpus.pairs[i].labels
      if !labels.isEmpty && labels.allSatisfy({ counts[$0] < target[$0] }) {
        kept.append(i)
        for l in labels { counts[l] += 1 }
      }
    }
    splits.train = kept.sorted()
    var result = corpus
    result.splits = splits
    result.info.source += " | cmh corpus longtail --imbalance \(imbalance) --seed \(seed)"
    return result
  }
}
