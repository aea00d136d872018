// CorpusIndexes: a corpus's pairs encoded by a model and written as index files (`cmh encode`,
// the demo): image and text codes with their stored outputs, items and the model's fingerprint.

import Corpus
import Foundation
import Hashing
import Model
import Platform
import Search
import Training

public enum CorpusIndexes {
  /// One set of pairs to write: its name, the pairs, and the prefix of its file names.
  public typealias Set = (name: String, pairs: [Int], prefix: String)

  /// The sets `cmh encode` writes: every real pair (`all`), or the retrieval and query sets.
  public static func sets(_ corpus: Corpus, all: Bool) throws -> [Set] {
    if all { return [("all", corpus.pairs.indices.filter { !corpus.pairs[$0].synthetic }, "")] }
    let splits = try corpus.requireSplits()
    return [("retrieval", splits.retrieval, ""), ("query", splits.query, "query-")]
  }

  /// Writes `sets` of `corpus` encoded by `model` into `folder` as one set of files: a search never
  /// meets new image codes beside old query codes. Returns a line (or JSON object) per file.
  /// Under mpirun every rank encodes its part and rank 0 alone writes.
  public static func write(_ model: CrossModalModel, corpus: Corpus, sets: [Set], into folder: URL, console: Console) throws -> [String] {
    let fingerprint = model.fingerprint()
    var encoded = [(CodeSet, TimeInterval)]()
    for (set, pairs, _) in sets {
      let started = Date()
      encoded.append((try CrossModalEvaluation.codes(model, corpus: corpus, pairs: pairs, label: "encoding \(set)", console: console), Date().timeIntervalSince(started)))
    }
    guard MPI.world?.isRoot ?? true else { return [] }
    var written = [String]()
    try AtomicFolder.replace(folder) { temporary in
      for ((set, pairs, prefix), (codes, seconds)) in zip(sets, encoded) {
        for modality in [Modality.image, .text] {
          let name = "\(prefix)\(modality).cmhindex", path = folder.appendingPathComponent(name).path
          try write(codes, modality: modality, corpus: corpus, pairs: pairs, fingerprint: fingerprint, to: temporary.appendingPathComponent(name))
          let rate = Double(pairs.count) / seconds
          written.append(console.json
            ? JSONLine([("file", .string(path)), ("set", .string(set)), ("modality", .string("\(modality)")), ("count", .int(pairs.count)),
                        ("bits", .int(model.spec.bits)), ("pairs_per_second", .number(rate, places: 1))]).text
            : "wrote \(path): \(pairs.count) \(set == "all" ? "" : set + " ")\(modality) codes, \(model.spec.bits) bits")
        }
      }
    }
    return written
  }

  /// One modality's codes of `pairs` as an index file.
  public static func write(_ codes: CodeSet, modality: Modality, corpus: Corpus, pairs: [Int], fingerprint: UInt64, to url: URL) throws {
    try IndexFile.write(codes: modality == .image ? codes.image : codes.text, modality: modality, items: IndexItems.of(corpus, pairs, modality: modality),
                        outputs: codes.stored(modality), modelFingerprint: fingerprint, to: url)
  }
}
