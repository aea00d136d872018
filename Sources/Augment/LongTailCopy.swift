// LongTailCopy: a copy of a corpus whose training split is long-tailed, its query and retrieval
// sets unchanged (`cmh corpus longtail`); the copy's pairs point at the source's images.

import Corpus
import Foundation
import Platform

extension LongTail {
  /// Writes to `out` a copy of `source` whose training split is long-tailed (`subsample`), and says
  /// what was kept.
  public static func writeSubsample(of source: Corpus, imbalance: Double, seed: UInt64, out: String, console output: Console) throws {
    var result = try subsample(source, imbalance: imbalance, seed: seed)
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
      output.result(JSONLine([("corpus", .string(out)), ("training_pairs_before", .int(source.splits!.train.count)), ("training_pairs", .int(result.splits!.train.count)),
                      ("imbalance_before", .number(before.imbalance, places: 2)), ("imbalance", .number(after.imbalance, places: 2)),
                      ("tail_labels", .strings(after.tail.map { source.info.labels[$0] }))]).text)
    } else if !output.quiet {
      output.result("wrote \(out): \(result.splits!.train.count) of \(source.splits!.train.count) training pairs kept; "
            + String(format: "label imbalance %.1f → %.1f", before.imbalance, after.imbalance))
      output.result("tail labels: " + after.tail.map { "\(source.info.labels[$0]) (\(after.labelCounts[$0]))" }.joined(separator: ", "))
    }
  }
}
