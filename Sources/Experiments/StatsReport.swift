// StatsReport: a corpus's statistics as `cmh corpus stats` shows them — pairs, labels per pair,
// words per text, vocabulary, label frequencies by long-tail group and imbalance — as text or
// JSON, with the label histogram as SVG.

import Augment
import Corpus
import Foundation
import Platform

public enum StatsReport {
  struct Fields: Encodable {
    let pairs: Int, synthetic: Int, labels: Int
    let labelsPerPair: Double, wordsPerText: Double, vocabulary: Int, imbalance: Double
    let labelCounts: [String: Int], labelGroups: [String: String], labelSets: Int

    enum CodingKeys: String, CodingKey {
      case pairs, synthetic, labels, vocabulary, imbalance
      case labelsPerPair = "labels_per_pair", wordsPerText = "words_per_text", labelCounts = "label_counts", labelGroups = "label_groups", labelSets = "label_sets"
    }
  }

  /// The statistics of `loaded` on `console`, and its label histogram in `svg` when given.
  public static func show(_ loaded: Corpus, svg: String?, console output: Console) throws {
    let stats = CorpusStats(loaded)
    let profile = LongTailProfile(loaded.pairs.map(\.labels), labelCount: loaded.info.labels.count)
    let groups = Dictionary(uniqueKeysWithValues: (0..<loaded.info.labels.count).map { (loaded.info.labels[$0], profile.group(of: $0)) })
    if output.json {
      output.result(try JSON.text(Fields(pairs: stats.pairs, synthetic: stats.synthetic, labels: loaded.info.labels.count,
                                         labelsPerPair: stats.labelsPerPair, wordsPerText: stats.wordsPerText, vocabulary: stats.vocabulary,
                                         imbalance: stats.imbalance, labelCounts: Dictionary(uniqueKeysWithValues: zip(loaded.info.labels, stats.labelCounts)),
                                         labelGroups: groups, labelSets: profile.labelSets.count)))
    } else {
      output.result("\(loaded.info.name): \(stats.pairs) pairs (\(stats.synthetic) synthetic), \(loaded.info.labels.count) labels")
      output.result(String(format: "labels per pair %.2f, words per text %.2f, vocabulary %d words", stats.labelsPerPair, stats.wordsPerText, stats.vocabulary))
      output.result(String(format: "imbalance (most / least frequent label) %.1f; %d distinct label sets; groups by thirds of the labels by count", stats.imbalance, profile.labelSets.count))
      let top = stats.labelCounts.max() ?? 1
      for (name, count) in zip(loaded.info.labels, stats.labelCounts).sorted(by: { $0.1 > $1.1 }) {
        let bar = String(repeating: "█", count: max(0, 40 * count / max(top, 1)))
        output.result(name.padding(toLength: 16, withPad: " ", startingAt: 0) + groups[name]!.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%7d  ", count) + bar)
      }
    }
    if let svg {
      let plot = SVGBarChart(title: "Label frequencies of \(loaded.info.name)", bars: zip(loaded.info.labels, stats.labelCounts).sorted { $0.1 > $1.1 })
      try SVGFiles.write(plot.render(), named: "labels.svg", into: svg, console: output)
    }
  }
}
