// cmh corpus: make, check, split and describe corpora.

import ArgumentParser
import Corpus
import Foundation

struct CorpusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "corpus",
    abstract: "Make, import, validate, split and describe corpora.",
    subcommands: [MakeShapesCommand.self, MakeFeaturesCommand.self, ImportCommand.self, ValidateCommand.self, SplitCommand.self, StatsCommand.self, LongTailCommand.self,
                  HDF5ReadCommand.self])
}

extension TextMode: ExpressibleByArgument {}

struct MakeShapesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make-shapes",
    abstract: "Generate the built-in synthetic corpus: JPEG images of coloured shapes on scenes, with captions.",
    discussion: """
      Examples:
        cmh corpus make-shapes --out corpora/shapes
        cmh corpus make-shapes --out corpora/shapes-tags --text tags --seed 2
      """)

  @Option(help: "Output corpus directory.") var out: String
  @Option(help: "Number of pairs.") var pairs = 6000
  @Option(help: "Image side in pixels.") var size = 64
  @Option(help: "Head/tail label frequency ratio (1 = balanced; MIRFlickr-25K has about 47).") var imbalance = 1.0
  @Option(help: "Texts as captions (sentences) or tag lists (tags).") var text = TextMode.sentences
  @Option(help: "Seed for everything generated.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard pairs >= 10 else { throw ValidationError("--pairs must be at least 10") }
    guard size >= 16 else { throw ValidationError("--size must be at least 16") }
    guard imbalance >= 1 else { throw ValidationError("--imbalance is a head/tail ratio, at least 1") }
  }

  func run() throws {
    let settings = ShapesCorpusSettings(pairs: pairs, size: size, imbalance: imbalance, seed: seed, textMode: text)
    let corpus = try ShapesCorpus.make(into: URL(fileURLWithPath: out), settings: settings, console: output.console)
    let what = "\(pairs) pairs (\(size)×\(size) JPEG, \(text.rawValue))"
    CorpusSummary(corpus: out, written: what, splits: corpus.splits!, seed: seed, extra: [("pairs", .int(pairs)), ("size", .int(size)), ("text", .string(text.rawValue))])
      .print(output.console)
  }
}

extension FeatureCorpusKind: ExpressibleByArgument {}

struct MakeFeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make-features",
    abstract: "Generate a corpus of feature rows: Wikipedia-like (one label, weak image rows, topic texts) or MIRFlickr-like (many labels, tag texts).",
    discussion: """
      With --labels and --texts (MATLAB files, as `cmh corpus import mat` reads them), the MIRFlickr-like corpus takes its label sets and tag texts from them and generates only the image rows, from each pair's labels; it gets the standard protocol's split.

      Examples:
        cmh corpus make-features --like wikipedia --out corpora/wiki-like
        cmh corpus make-features --like mirflickr --labels mirflickr25k-lall.mat --texts mirflickr25k-yall.mat --vocabulary TagList_1386_from_MITH.txt --label-names labels.txt --out corpora/mir-real-labels
      """)

  @Option(help: "Output corpus directory.") var out: String
  @Option(help: "wikipedia or mirflickr.") var like: FeatureCorpusKind
  @Option(help: "Number of pairs (default: 2866 for wikipedia, 6000 for mirflickr).") var pairs: Int?
  @Option(help: "Seed for everything generated.") var seed: UInt64 = 1
  @Option(help: "Label matrix, n × labels, to use instead of generated labels (FILE or FILE:VARIABLE, default variable LAll).") var labels: String?
  @Option(help: "Tag bag-of-words, n × words, to use instead of generated texts (FILE or FILE:VARIABLE, default variable YAll).") var texts: String?
  @Option(help: "The tag matrix's words, one per line, in column order.") var vocabulary: String?
  @Option(help: "The label matrix's label names, one per line, in column order (default label0, label1, …).") var labelNames: String?
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard (pairs ?? 100) >= 20 else { throw ValidationError("--pairs must be at least 20") }
    guard (labels == nil) == (texts == nil) else { throw ValidationError("--labels and --texts come together") }
    guard labels == nil || like == .mirflickr else { throw ValidationError("--labels and --texts need --like mirflickr") }
    guard labels == nil || pairs == nil else { throw ValidationError("--pairs does not go with --labels: the matrices give the pairs") }
    guard (vocabulary == nil && labelNames == nil) || labels != nil else { throw ValidationError("--vocabulary and --label-names go with --labels and --texts") }
  }

  func run() throws {
    var settings = FeatureCorpusSettings(kind: like, pairs: pairs, seed: seed)
    if let labels, let texts {
      settings.labelsAndTexts = MatImportSettings(labels: labels, texts: texts, vocabulary: vocabulary, labelNames: labelNames, name: URL(fileURLWithPath: out).lastPathComponent)
    }
    CorpusSummary.features(try FeatureCorpus.generate(into: URL(fileURLWithPath: out), settings: settings), out: out, settings: settings)
      .print(output.console)
  }
}

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check everything a run would trip on; each problem with its file and line.",
    discussion: """
      Every image is decoded as training would decode it. The exit status is 1 when there is a problem.

      Example: cmh corpus validate corpora/holiday
      """)

  @Argument(help: "Corpus directory.") var corpus: String
  @Flag(help: "Do not open the images.") var skipImages = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    let problems = try Corpus.validationReport(corpus, checkImages: !skipImages, console: output.console)
    guard problems == 0 else { throw CommandError("\(corpus): \(problems) problem\(problems == 1 ? "" : "s")") }
  }
}

struct SplitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "split",
    abstract: "Write query / retrieval / training split files (the DCMH protocol by default).",
    discussion: """
      Examples:
        cmh corpus split corpora/holiday
        cmh corpus split corpora/mirflickr25k --query 2000 --train 10000 --seed 2 --force
      """)

  enum SplitProtocol: String, ExpressibleByArgument, CaseIterable { case dcmh }

  @Argument(help: "Corpus directory.") var corpus: String
  @Option(help: "The protocol whose sizes are the defaults.") var `protocol` = SplitProtocol.dcmh
  @Option(help: "Queries (default: 2,000, 5,000 for COCO-sized corpora, a tenth of small ones).") var query: Int?
  @Option(help: "Training pairs drawn from the retrieval set (default: 10,000, half of small corpora).") var train: Int?
  @Option(help: "Seed of the split.") var seed: UInt64 = 1
  @Flag(help: "Replace existing split files.") var force = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    let directory = URL(fileURLWithPath: corpus)
    var loaded = try Corpus.load(directory)
    if loaded.splits != nil && !force { throw CommandError("\(corpus)/splits exists; pass --force to replace it") }
    try loaded.splitByProtocol(seed: seed, queries: query, train: train)
    try loaded.write(to: directory)
    CorpusSummary(corpus: corpus, written: nil, splits: loaded.splits!, seed: seed).print(output.console)
  }
}
