// cmh corpus longtail: a copy of a corpus with a long-tailed training split (Augment/LongTailCopy).

import ArgumentParser
import Augment
import Corpus
import Foundation

struct LongTailCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "longtail",
    abstract: "Write a copy of a corpus whose training split is long-tailed (query and retrieval sets unchanged).",
    discussion: "Example: cmh corpus longtail corpora/shapes --imbalance 48 --out corpora/shapes-lt")

  @Argument(help: "Corpus directory (with splits).") var corpus: String
  @Option(help: "Head/tail ratio of the label counts to aim for (MIRFlickr-25K has about 47).") var imbalance = 48.0
  @Option(help: "Output corpus directory.") var out: String
  @Option(help: "Seed for which labels become the tail and which pairs are kept.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func validate() throws { guard imbalance >= 1 else { throw ValidationError("--imbalance is a head/tail ratio, at least 1") } }

  func run() throws {
    try LongTail.writeSubsample(of: try Corpus.load(URL(fileURLWithPath: corpus)), imbalance: imbalance, seed: seed, out: out, console: output.console)
  }
}
