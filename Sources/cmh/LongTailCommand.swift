// cmh corpus longtail: a long-tailed version of a corpus for experiments — the training split
// thinned to an exponential label profile; the query and retrieval sets stay as they are.

import ArgumentParser
import Augment
import Corpus
import Foundation
import Platform

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
    let source = try Corpus.load(URL(fileURLWithPath: corpus))
    var result = try LongTail.subsample(source, imbalance: imbalance, seed: seed)
    // Images stay where they are: the copy refers to them by absolute path.
    result.pairs = source.pairs.map { pair in
      var p = pair
      p.image = source.imageURL(pair)?.path
      return p
    }
    result.directory = URL(fileURLWithPath: out)
    try result.write(to: result.directory)
    let before = LongTailProfile(source.splits!.train.map { source.pairs[$0].labels }, labelCount: source.info.labels.count)
    let after = LongTailProfile(result.splits!.train.map { source.pairs[$0].labels }, labelCount: source.info.labels.count)
    if output.json {
      print(JSONLine([("corpus", .string(out)), ("training_pairs_before", .int(source.splits!.train.count)), ("training_pairs", .int(result.splits!.train.count)),
                      ("imbalance_before", .number(before.imbalance, places: 2)), ("imbalance", .number(after.imbalance, places: 2)),
                      ("tail_labels", .strings(after.tail.map { source.info.labels[$0] }))]).text)
    } else if !output.quiet {
      print("wrote \(out): \(result.splits!.train.count) of \(source.splits!.train.count) training pairs kept; "
            + String(format: "label imbalance %.1f → %.1f", before.imbalance, after.imbalance))
      print("tail labels: " + after.tail.map { "\(source.info.labels[$0]) (\(after.labelCounts[$0]))" }.joined(separator: ", "))
    }
  }
}
