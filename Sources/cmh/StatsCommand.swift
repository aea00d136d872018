// cmh corpus stats: sizes, label frequencies, imbalance, and the label histogram as SVG.

import ArgumentParser
import Augment
import Corpus
import Experiments
import Foundation
import Platform

struct StatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats",
    abstract: "Pairs, labels per pair, words per text, vocabulary, label frequencies and imbalance.",
    discussion: """
      Examples:
        cmh corpus stats corpora/holiday
        cmh corpus stats corpora/mirflickr25k --svg plots --json
      """)

  @Argument(help: "Corpus directory.") var corpus: String
  @Option(help: "Write the label histogram into this folder (labels.svg).") var svg: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    if let svg { try OutputCheck.folder(svg, option: "--svg") }
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let stats = CorpusStats(loaded)
    let profile = LongTailProfile(loaded.pairs.map(\.labels), labelCount: loaded.info.labels.count)
    let groups = Dictionary(uniqueKeysWithValues: (0..<loaded.info.labels.count).map { (loaded.info.labels[$0], profile.group(of: $0)) })
    if output.json {
      let object: [String: Any] = [
        "pairs": stats.pairs, "synthetic": stats.synthetic, "labels": loaded.info.labels.count,
        "labels_per_pair": stats.labelsPerPair, "words_per_text": stats.wordsPerText, "vocabulary": stats.vocabulary,
        "imbalance": stats.imbalance, "label_counts": Dictionary(uniqueKeysWithValues: zip(loaded.info.labels, stats.labelCounts)),
        "label_groups": groups, "label_sets": profile.labelSets.count,
      ]
      print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    } else {
      print("\(loaded.info.name): \(stats.pairs) pairs (\(stats.synthetic) synthetic), \(loaded.info.labels.count) labels")
      print(String(format: "labels per pair %.2f, words per text %.2f, vocabulary %d words", stats.labelsPerPair, stats.wordsPerText, stats.vocabulary))
      print(String(format: "imbalance (most / least frequent label) %.1f; %d distinct label sets; groups by thirds of the labels by count", stats.imbalance, profile.labelSets.count))
      let top = stats.labelCounts.max() ?? 1
      for (name, count) in zip(loaded.info.labels, stats.labelCounts).sorted(by: { $0.1 > $1.1 }) {
        let bar = String(repeating: "█", count: max(0, 40 * count / max(top, 1)))
        print(name.padding(toLength: 16, withPad: " ", startingAt: 0) + groups[name]!.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%7d  ", count) + bar)
      }
    }
    if let svg {
      let plot = SVGBarChart(title: "Label frequencies of \(loaded.info.name)", bars: zip(loaded.info.labels, stats.labelCounts).sorted { $0.1 > $1.1 })
      try SVGFiles.write(plot.render(), named: "labels.svg", into: svg, console: output.console)
    }
  }
}
