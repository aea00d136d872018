// cmh corpus import KIND: corpora from the formats benchmarks are passed around in.

import ArgumentParser
import Corpus
import Foundation

struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Import a corpus (kinds: mat).",
    subcommands: [ImportMatCommand.self])
}

struct ImportMatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mat",
    abstract: "Import MATLAB v5 files: a label matrix, a text bag-of-words and optionally image features.",
    discussion: "Variables are named FILE:VARIABLE (defaults LAll, YAll, IAll). Example for MIRFlickr-25K:\n  cmh corpus import mat --labels mirflickr25k-lall.mat --texts mirflickr25k-yall.mat --vocabulary TagList_1386_from_MITH.txt --out corpora/mirflickr25k")

  @Option(help: "Label matrix, n × labels (FILE or FILE:VARIABLE).") var labels: String
  @Option(help: "Text bag-of-words, n × words (FILE or FILE:VARIABLE).") var texts: String
  @Option(help: "Image features, n × d (FILE or FILE:VARIABLE).") var images: String?
  @Option(help: "The text matrix's words, one per line, in column order.") var vocabulary: String?
  @Option(help: "Label names, one per line, in column order.") var labelNames: String?
  @Option(help: "Corpus name.") var name: String?
  @Option(help: "Output corpus directory.") var out: String
  @Option(help: "Seed of the query/retrieval/training split.") var seed: UInt64 = 0

  func run() throws {
    func split(_ spec: String, _ fallback: String) -> (URL, String) {
      if let colon = spec.lastIndex(of: ":"), !spec[spec.index(after: colon)...].contains("/") {
        return (URL(fileURLWithPath: String(spec[..<colon])), String(spec[spec.index(after: colon)...]))
      }
      return (URL(fileURLWithPath: spec), fallback)
    }
    let (labelURL, labelVariable) = split(labels, "LAll"), (textURL, textVariable) = split(texts, "YAll")
    var settings = MatImportSettings(labels: labelURL, texts: textURL)
    settings.labelVariable = labelVariable
    settings.textVariable = textVariable
    if let images { (settings.images, settings.imageVariable) = split(images, "IAll") }
    settings.vocabulary = vocabulary.map { URL(fileURLWithPath: $0) }
    settings.labelNames = labelNames.map { URL(fileURLWithPath: $0) }
    settings.name = name ?? URL(fileURLWithPath: out).lastPathComponent
    let directory = URL(fileURLWithPath: out)
    var (corpus, summary) = try MatImporter.importCorpus(settings, into: directory)
    let sizes = Splits.protocolSizes(realPairs: corpus.pairs.count)
    corpus.splits = try Splits.protocolSplit(corpus.pairs, queries: sizes.queries, train: sizes.train, seed: seed)
    try corpus.write(to: directory)
    print("\(out): \(summary); \(corpus.info.labels.count) labels, \(corpus.textFeatures?.columns ?? 0) text features"
          + (corpus.imageFeatures.map { ", \($0.columns) image features" } ?? ""))
    print("splits: \(corpus.splits!.query.count) queries, \(corpus.splits!.retrieval.count) retrieval, \(corpus.splits!.train.count) training (seed \(seed))")
  }
}
