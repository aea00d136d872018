// AugmentationFolder: the folder `cmh augment` writes and `cmh train --augment` reads. It is a
// corpus of the synthetic pairs (corpus.json with the real corpus's labels, pairs.jsonl, images/ or
// features/), with augmentation.json (how it was made: AugmentationSummary) and synthetic.jsonl
// (each pair's labels by name, its text and where that came from) for a person to read.

import Corpus
import Foundation
import Model
import Platform
import Training

public struct AugmentationSummary: Codable, Equatable, Sendable {
  /// diffusion, oversample, or imported (images generated elsewhere, from a manifest).
  public var method: String
  public var corpus: String
  /// The corpus's label names; a corpus with other labels cannot use the folder.
  public var labels: [String]
  public var realPairs: Int
  public var syntheticPairs: Int
  /// Per label: real training pairs, and synthetic pairs made.
  public var realCounts: [Int]
  public var syntheticCounts: [Int]
  public var target: Int?
  public var generator: PixelGeneratorSettings?
  public var manifest: String?
  public var seconds: Double?

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
    case method, corpus, labels, target, generator, manifest, seconds
    case realPairs = "real_pairs", syntheticPairs = "synthetic_pairs", realCounts = "real_counts", syntheticCounts = "synthetic_counts"
  }
}

public enum AugmentationFolder {
  static let summaryFile = "augmentation.json", listFile = "synthetic.jsonl"

  /// Writes `pairs` (images named relative to `folder` or absolute) as the folder's corpus.
  static func write(_ pairs: InputPairs, summary: AugmentationSummary, corpus: Corpus, to folder: URL) throws {
    let info = CorpusInfo(name: corpus.info.name + " (synthetic pairs)", labels: corpus.info.labels, source: "cmh augment \(summary.method) of \(corpus.directory.path)",
                          textMode: corpus.info.textMode, textVocabulary: corpus.info.textVocabulary, labelKinds: corpus.info.labelKinds,
                          orientation: corpus.info.orientation)
    try Corpus(directory: folder, info: info, pairs: pairs.pairs, imageFeatures: pairs.imageRows, textFeatures: pairs.textRows).write(to: folder)
    try AtomicFile.write(JSON.encoder(pretty: true).encode(summary), to: folder.appendingPathComponent(summaryFile))
    let lines = zip(pairs.pairs, pairs.sources).map { pair, source in
      JSONLine([("id", .string(pair.id)), ("image", .string(pair.image ?? "")), ("labels", .strings(pair.labels.map { corpus.info.labels[$0] })),
                ("text", .string(pair.text ?? "")), ("text_source", .string(source))]).text
    }
    try AtomicFile.write(Data(lines.map { $0 + "\n" }.joined().utf8), to: folder.appendingPathComponent(listFile))
  }

  /// The folder's pairs for training on `corpus` (images by absolute path), with its summary.
  public static func read(_ folder: URL, for corpus: Corpus) throws -> (summary: AugmentationSummary, pairs: InputPairs) {
    let url = folder.appendingPathComponent(summaryFile)
    guard let data = try? Data(contentsOf: url) else {
      throw TrainingError(description: "\(folder.path): not an augmentation folder (no \(summaryFile); `cmh augment` writes one)")
    }
    let summary: AugmentationSummary
    do { summary = try JSONDecoder().decode(AugmentationSummary.self, from: data) } catch {
      throw FileError(path: url.path, problem: "not a valid augmentation summary: \(error)")
    }
    guard summary.labels == corpus.info.labels else {
      throw TrainingError(description: "\(folder.path): made for labels \(summary.labels.joined(separator: ", ")); \(corpus.directory.path) has \(corpus.info.labels.joined(separator: ", "))")
    }
    let synthetic = try Corpus.load(folder)
    guard synthetic.pairs.count == summary.syntheticPairs else {
      throw FileError(path: folder.appendingPathComponent("pairs.jsonl").path, problem: "\(synthetic.pairs.count) pairs; \(summaryFile) announces \(summary.syntheticPairs)")
    }
    let pairs = synthetic.pairs.map { pair in
      var absolute = pair
      absolute.image = synthetic.imageURL(pair).map(\.path)
      absolute.synthetic = true
      return absolute
    }
    return (summary, InputPairs(pairs: pairs, imageRows: synthetic.imageFeatures, textRows: synthetic.textFeatures))
  }
}
