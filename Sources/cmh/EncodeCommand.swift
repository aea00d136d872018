// cmh encode: index files of a corpus's sets (Experiments/CorpusIndexes).

import ArgumentParser
import Corpus
import Experiments
import Foundation
import Model
import Platform

struct EncodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode",
    abstract: "Write index files of a corpus's retrieval set (and query set) for both modalities.",
    discussion: """
      Writes DIR/image.cmhindex and DIR/text.cmhindex for the retrieval set, DIR/query-image.cmhindex and \
      DIR/query-text.cmhindex for the queries. With --all, DIR/image.cmhindex and DIR/text.cmhindex hold \
      every pair of the corpus (queries included, generated pairs left out) and no query files are written.

      Example: cmh encode model.cmh photos-corpus --out index --all
      """)

  @Argument(help: "Model file written by `cmh train`.") var model: String
  @Argument(help: "Corpus directory (with splits, unless --all).") var corpus: String
  @Option(help: "Output directory.") var out: String
  @Flag(help: "Index every pair, queries included, and write no query files: for searching a whole collection (needs no splits).")
  var all = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func run() throws {
    try OutputCheck.folder(out, option: "--out")
    let trained = try CrossModalModel.load(from: URL(fileURLWithPath: model), fixed: true)
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let written = try CorpusIndexes.write(trained, corpus: loaded, sets: try CorpusIndexes.sets(loaded, all: all), into: URL(fileURLWithPath: out),
                                          console: output.console)
    written.forEach { print($0) }
  }
}
