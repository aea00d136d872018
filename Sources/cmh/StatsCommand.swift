// cmh corpus stats: sizes, label frequencies, imbalance, and the label histogram as SVG.

import ArgumentParser
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
    try StatsReport.show(try Corpus.load(URL(fileURLWithPath: corpus)), svg: svg, console: output.console)
  }
}
