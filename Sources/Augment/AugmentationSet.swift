// AugmentationSet: the folder `cmh augment` writes and `cmh train --augment` reads — the model whose
// backbone made the image features (start.cmh), the synthetic pairs as tower inputs with their label
// sets and a summary of how they were made (synthetic.cmhaug), and the pairs in words for a person
// to read (synthetic.jsonl). The folder is written whole and swapped into place (AtomicFolder).

import Corpus
import Foundation
import Model
import Platform
import Tensor
import TextNet
import Training

public struct AugmentationSummary: Codable, Equatable, Sendable {
  /// diffusion, oversample, none, or imported (images generated elsewhere, from a manifest).
  public var method: String
  public var corpus: String
  /// The corpus's label names; a corpus with other labels cannot use the set.
  public var labels: [String]
  public var realPairs: Int
  public var syntheticPairs: Int
  /// Per label: real training pairs, and synthetic pairs made.
  public var realCounts: [Int]
  public var syntheticCounts: [Int]
  public var target: Int?
  public var generator: DiffusionSettings?
  public var manifest: String?

  public init(method: String, corpus: String, labels: [String], real: [[Int]], synthetic: [[Int]]) {
    self.method = method
    self.corpus = corpus
    self.labels = labels
    realPairs = real.count
    syntheticPairs = synthetic.count
    realCounts = Self.counts(real, labels.count)
    syntheticCounts = Self.counts(synthetic, labels.count)
  }

  static func counts(_ sets: [[Int]], _ labelCount: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: labelCount)
    for set in sets { for l in set where l < labelCount { counts[l] += 1 } }
    return counts
  }

  enum CodingKeys: String, CodingKey {
    case method, corpus, labels, target, generator, manifest
    case realPairs = "real_pairs", syntheticPairs = "synthetic_pairs", realCounts = "real_counts", syntheticCounts = "synthetic_counts"
  }
}

public struct AugmentationSet {
  public var summary: AugmentationSummary
  public var pairs: FeaturePairs
  public static let magic = "CMHAUGMT"
  static let startFile = "start.cmh", pairsFile = "synthetic.cmhaug", listFile = "synthetic.jsonl"

  public init(summary: AugmentationSummary, pairs: FeaturePairs) {
    self.summary = summary
    self.pairs = pairs
  }

  /// Writes the folder: `start` is the model whose backbone the image features belong to.
  public func write(to folder: URL, start: CrossModalModel) throws {
    try AtomicFolder.replace(folder, keepingOthers: false) { staging in
      try start.save(to: staging.appendingPathComponent(Self.startFile))
      try archive().write(to: staging.appendingPathComponent(Self.pairsFile), magic: Self.magic)
      try AtomicFile.write(listing(start.spec), to: staging.appendingPathComponent(Self.listFile))
    }
  }

  /// Reads a folder written by `write`, with its start model.
  public static func read(from folder: URL) throws -> (set: AugmentationSet, start: CrossModalModel) {
    let url = folder.appendingPathComponent(pairsFile)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw TrainingError(description: "\(folder.path): not an augmentation folder (no \(pairsFile); `cmh augment` writes one)")
    }
    let archive = try TensorArchive.read(from: url, magic: magic, what: "augmentation file")
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: archive.metadata) } catch {
      throw FileError(path: url.path, problem: "the header is not valid: \(error)")
    }
    let tensors = Dictionary(archive.tensors, uniquingKeysWith: { a, _ in a })
    let m = header.summary.syntheticPairs
    guard let image = tensors["image"], image.shape.first == m, let starts = tensors["text.row_starts"], starts.count == m + 1,
          let columns = tensors["text.columns"], let values = tensors["text.values"], columns.count == values.count,
          header.labels.count == m else {
      throw FileError(path: url.path, problem: "its tensors do not hold the \(m) pairs its header announces")
    }
    let texts = try sparseRows(starts, columns, values, columnCount: header.textColumns, file: url.path)
    let start = try CrossModalModel.load(from: folder.appendingPathComponent(startFile))
    let pairs = FeaturePairs(features: image.reshaped([m, image.count / max(m, 1)]), texts: texts, labels: header.labels)
    return (AugmentationSet(summary: header.summary, pairs: pairs), start)
  }

  struct Header: Codable {
    var summary: AugmentationSummary
    var labels: [[Int]]
    var textColumns: Int
    enum CodingKeys: String, CodingKey { case summary, labels, textColumns = "text_columns" }
  }

  // The text rows are stored as three float32 tensors (row starts, columns, values): the archive
  // holds float32 only, which is exact for integers below 2²⁴.
  private func archive() throws -> TensorArchive {
    let texts = pairs.texts
    precondition(texts.columns.count < 1 << 24 && texts.columnCount < 1 << 24, "AugmentationSet: text rows too large to store")
    let encoder = JSON.encoder(escapingSlashes: true)
    let header = Header(summary: summary, labels: pairs.labels, textColumns: texts.columnCount)
    return TensorArchive(metadata: try encoder.encode(header), tensors: [
      ("image", pairs.features),
      ("text.row_starts", Tensor(shape: [texts.rowStarts.count], values: texts.rowStarts.map(Float.init))),
      ("text.columns", Tensor(shape: [texts.columns.count], values: texts.columns.map(Float.init))),
      ("text.values", Tensor(shape: [texts.values.count], values: texts.values)),
    ])
  }

  private static func sparseRows(_ starts: Tensor, _ columns: Tensor, _ values: Tensor, columnCount: Int, file: String) throws -> SparseRows {
    var rows = [[(column: Int, value: Float)]]()
    for r in 0..<(starts.count - 1) {
      let (a, b) = (Int(starts.data[r]), Int(starts.data[r + 1]))
      guard a <= b, b <= columns.count else { throw FileError(path: file, problem: "text row \(r + 1) points outside the stored columns") }
      rows.append(try (a..<b).map { i in
        let c = Int(columns.data[i])
        guard c >= 0, c < columnCount else { throw FileError(path: file, problem: "text row \(r + 1) has column \(c) of \(columnCount)") }
        return (column: c, value: values.data[i])
      })
    }
    return SparseRows(columnCount: columnCount, rows: rows)
  }

  /// One JSON line a pair: label names and, when the text columns are words, the words.
  private func listing(_ spec: ModelSpec) throws -> Data {
    let vocabulary: Vocabulary? = {
      switch spec.text {
      case .words(let v): return v
      case .features(_, let v): return v
      }
    }()
    let encoder = JSON.encoder()
    var out = Data()
    for r in 0..<pairs.count {
      let cols = pairs.texts.rowStarts[r]..<pairs.texts.rowStarts[r + 1]
      let words = vocabulary.map { v in cols.map { v.words[Int(pairs.texts.columns[$0])] } }
      let line = Line(labels: pairs.labels[r].map { summary.labels[$0] }, text: words?.joined(separator: " "), columns: words == nil ? cols.count : nil)
      out += try encoder.encode(line) + Data("\n".utf8)
    }
    return out
  }

  struct Line: Codable { var labels: [String]; var text: String?; var columns: Int? }
}
