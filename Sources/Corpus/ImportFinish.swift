// ImportFinish: the last step of every importer — the images checked, the corpus written with the
// standard protocol's split, and what was kept and dropped said.

import Foundation
import Platform

extension Corpus {
  /// Checks the images of an imported corpus, writes it with the protocol split, and prints what
  /// was kept and dropped. A bad image stops the import (nothing is written) unless skipBad.
  public func finishImport(_ summary: ImportSummary, into out: String, seed: UInt64, skipBad: Bool, console: Console) throws {
    let directory = URL(fileURLWithPath: out)
    var (corpus, problems) = checkingImages()
    corpus.directory = directory
    var summary = summary
    if !problems.isEmpty {
      guard skipBad else {
        let shown = problems.prefix(10).map { "  \($0)" }.joined(separator: "\n")
        throw CorpusError(out, "\(problems.count) image\(problems.count == 1 ? "" : "s") cannot be used; nothing was written:\n\(shown)\npass --skip-bad to leave those pairs out")
      }
      for p in problems { Console.standardError("skipped: \(p)") }
      summary.kept -= problems.count
      summary.dropped["with a bad image file", default: 0] += problems.count
    }
    try corpus.splitByProtocol(seed: seed)
    try corpus.write(to: directory)
    let splits = corpus.splits!
    if console.json {
      let dropped = summary.dropped.sorted { $0.key < $1.key }.map { ($0.key, JSONLine.Value.int($0.value)) }
      console.result(JSONLine([("corpus", .string(out)), ("kept", .int(summary.kept)), ("dropped", .object(JSONLine(dropped))), ("notes", .strings(summary.notes)),
                      ("labels", .int(corpus.info.labels.count))] + CorpusSummary.fields(splits, seed: seed)).text)
      return
    }
    console.result("\(out): \(summary); \(corpus.info.labels.count) labels")
    console.result("splits: \(splits.query.count) queries, \(splits.retrieval.count) retrieval, \(splits.train.count) training (seed \(seed))")
  }
}
