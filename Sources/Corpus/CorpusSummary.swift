// CorpusSummary: what a command that writes a corpus or its splits prints — a line of sizes, or
// one JSON object.

import Platform

/// What a command that writes a corpus or its splits prints: a line of sizes, or one JSON object.
public struct CorpusSummary {
  public let corpus: String
  /// What was written ("6000 pairs (64×64 JPEG, tags)"); nil when only the splits were.
  public let written: String?
  public let splits: Splits
  public let seed: UInt64

  /// Fields the JSON object adds (what was generated).
  public var extra: [(String, JSONLine.Value)] = []

  public init(corpus: String, written: String?, splits: Splits, seed: UInt64, extra: [(String, JSONLine.Value)] = []) {
    (self.corpus, self.written, self.splits, self.seed, self.extra) = (corpus, written, splits, seed, extra)
  }

  /// The summary of a generated feature-row corpus written to `out`.
  public static func features(_ corpus: Corpus, out: String, settings: FeatureCorpusSettings) -> CorpusSummary {
    let (imageColumns, textColumns, kind) = (corpus.imageFeatures!.columns, corpus.textFeatures!.columns, settings.kind.rawValue)
    return CorpusSummary(corpus: out, written: "\(corpus.pairs.count) \(kind)-like pairs (image rows \(imageColumns)-d, text rows \(textColumns)-d)",
                         splits: corpus.splits!, seed: settings.seed,
                         extra: [("pairs", .int(corpus.pairs.count)), ("like", .string(kind)), ("image_columns", .int(imageColumns)), ("text_columns", .int(textColumns))])
  }

  /// The split sizes and seed as JSON fields, the same in every command that writes splits.
  public static func fields(_ splits: Splits, seed: UInt64) -> [(String, JSONLine.Value)] {
    [("queries", .int(splits.query.count)), ("retrieval", .int(splits.retrieval.count)), ("train", .int(splits.train.count)), ("seed", .unsigned(seed))]
  }

  public func print(_ output: Console) {
    if output.json {
      Swift.print(JSONLine([("corpus", .string(corpus))] + Self.fields(splits, seed: seed) + extra).text)
      return
    }
    guard !output.quiet else { return }
    if let written { Swift.print("wrote \(written) to \(corpus), seed \(seed)") }
    Swift.print("\(written == nil ? "\(corpus): " : "splits: ")\(splits.query.count) queries, \(splits.retrieval.count) retrieval, \(splits.train.count) training"
                + (written == nil ? " (seed \(seed))" : ""))
  }
}
