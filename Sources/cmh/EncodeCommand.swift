// cmh encode: the binary codes of a corpus's retrieval and query sets, both modalities, as index
// files for `cmh search` and `cmh index eval`.

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Tensor
import Training

struct EncodeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode",
    abstract: "Write index files of a corpus's retrieval set (and query set) for both modalities.",
    discussion: "Writes DIR/image.cmhindex and DIR/text.cmhindex for the retrieval set, DIR/query-image.cmhindex and DIR/query-text.cmhindex for the queries.")

  @Argument(help: "Model file written by `cmh train`.") var model: String
  @Argument(help: "Corpus directory with splits.") var corpus: String
  @Option(help: "Output directory.") var out: String
  @OptionGroup var output: OutputOptions

  func run() throws {
    try OutputCheck.folder(out, option: "--out")
    let trained = try ModelInputs.model(model)
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let splits = try ModelInputs.splits(loaded)
    let folder = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (set, pairs, prefix) in [("retrieval", splits.retrieval, ""), ("query", splits.query, "query-")] {
      let started = Date()
      let codes = try ModelInputs.codes(trained, corpus: loaded, pairs: pairs, label: "encoding \(set)", quiet: output.quiet)
      for (modality, binary) in [(Modality.image, codes.image), (.text, codes.text)] {
        let url = folder.appendingPathComponent("\(prefix)\(modality).cmhindex")
        AtomicFile.removeStaleTemporaries(of: url)
        try IndexFile.write(codes: binary, modality: modality, items: ModelInputs.items(loaded, pairs, modality: modality), to: url)
        let seconds = Date().timeIntervalSince(started)
        if output.json {
          print(#"{"file": "\#(url.path)", "set": "\#(set)", "modality": "\#(modality)", "count": \#(pairs.count), "bits": \#(trained.spec.bits), "pairs_per_second": \#(String(format: "%.1f", Double(pairs.count) / seconds))}"#)
        } else {
          print("wrote \(url.path): \(pairs.count) \(set) \(modality) codes, \(trained.spec.bits) bits")
        }
      }
    }
  }
}
