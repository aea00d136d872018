// cmh encode: the binary codes of a corpus's retrieval and query sets, both modalities, as index
// files for `cmh search` and `cmh index eval`.

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Tensor
import Training

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

  func run() throws {
    try OutputCheck.folder(out, option: "--out")
    let trained = try ModelInputs.model(model)
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let folder = URL(fileURLWithPath: out)
    let fingerprint = trained.fingerprint()
    var written = [String]()
    // The whole set goes in at once: a search never meets new image codes beside old query codes.
    try AtomicFolder.replace(folder) { temporary in
      for (set, pairs, prefix) in try sets(loaded) {
        let started = Date()
        let codes = try CrossModalEvaluation.codes(trained, corpus: loaded, pairs: pairs, label: "encoding \(set)", console: output.console)
        for (modality, binary) in [(Modality.image, codes.image), (.text, codes.text)] {
          let name = "\(prefix)\(modality).cmhindex", path = folder.appendingPathComponent(name).path
          try IndexFile.write(codes: binary, modality: modality, items: IndexItems.of(loaded, pairs, modality: modality), outputs: codes.stored(modality),
                              modelFingerprint: fingerprint, to: temporary.appendingPathComponent(name))
          let rate = Double(pairs.count) / Date().timeIntervalSince(started)
          written.append(output.json
            ? JSONLine([("file", .string(path)), ("set", .string(set)), ("modality", .string("\(modality)")), ("count", .int(pairs.count)),
                        ("bits", .int(trained.spec.bits)), ("pairs_per_second", .number(rate, places: 1))]).text
            : "wrote \(path): \(pairs.count) \(set == "all" ? "" : set + " ")\(modality) codes, \(trained.spec.bits) bits")
        }
      }
    }
    written.forEach { print($0) }
  }

  /// (name, pairs, file prefix) of each set to write.
  private func sets(_ corpus: Corpus) throws -> [(String, [Int], String)] {
    if all { return [("all", corpus.pairs.indices.filter { !corpus.pairs[$0].synthetic }, "")] }
    let splits = try ModelInputs.splits(corpus)
    return [("retrieval", splits.retrieval, ""), ("query", splits.query, "query-")]
  }
}
