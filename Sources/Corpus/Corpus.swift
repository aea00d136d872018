// Corpus: a corpus directory — corpus.json, pairs.jsonl, splits/*.txt and optional
// features/{image,text}.npy — loaded into memory and written back atomically.

import Foundation
import Platform

public struct Corpus: Sendable {
  public var directory: URL
  public var info: CorpusInfo
  public var pairs: [Pair]
  public var splits: Splits?
  public var imageFeatures: FeatureMatrix?
  public var textFeatures: FeatureMatrix?

  public init(directory: URL, info: CorpusInfo, pairs: [Pair], splits: Splits? = nil,
              imageFeatures: FeatureMatrix? = nil, textFeatures: FeatureMatrix? = nil) {
    self.directory = directory
    self.info = info
    self.pairs = pairs
    self.splits = splits
    self.imageFeatures = imageFeatures
    self.textFeatures = textFeatures
  }

  /// Position of each pair id.
  public var indexByID: [String: Int] { Dictionary(pairs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a }) }

  /// Some training pair (any pair, without splits) holds more than one label.
  public var isMultiLabel: Bool { (splits?.train ?? Array(pairs.indices)).contains { pairs[$0].labels.count > 1 } }

  /// Where a pair's image is: an absolute path as it is (imported collections stay where they
  /// are), a relative one inside the corpus directory.
  public func imageURL(_ pair: Pair) -> URL? {
    pair.image.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : directory.appendingPathComponent($0) }
  }

  // MARK: Loading

  /// Reads a corpus directory. Unless `checked` is false (for `cmh corpus validate`, which lists
  /// every problem), the first structural problem is thrown: a label index outside the label list
  /// or a repeated id would otherwise trap or mix pairs up later.
  public static func load(_ directory: URL, checked: Bool = true) throws -> Corpus {
    let infoURL = directory.appendingPathComponent("corpus.json")
    guard let infoData = try? Data(contentsOf: infoURL) else {
      throw CorpusError(infoURL.path, "missing: is \(directory.path) a corpus directory? (`cmh corpus make-shapes` or `cmh corpus import` make one)")
    }
    let info: CorpusInfo
    do { info = try JSONDecoder().decode(CorpusInfo.self, from: infoData) } catch {
      throw CorpusError(infoURL.path, "not a valid corpus description: \(describe(error))")
    }
    let pairs = try PairsReader.read(directory.appendingPathComponent("pairs.jsonl"))
    var corpus = Corpus(directory: directory, info: info, pairs: pairs)
    corpus.splits = try Splits.read(from: directory, index: corpus.indexByID)
    for (name, keyPath) in [("image", \Corpus.imageFeatures), ("text", \Corpus.textFeatures)] as [(String, WritableKeyPath<Corpus, FeatureMatrix?>)] {
      let url = directory.appendingPathComponent("features/\(name).npy")
      guard FileManager.default.fileExists(atPath: url.path) else { continue }
      let matrix = try FeatureMatrix.read(from: url)
      guard matrix.rows == pairs.count else { throw CorpusError(url.path, "\(matrix.rows) rows for \(pairs.count) pairs: one row per pair, in pairs.jsonl order") }
      corpus[keyPath: keyPath] = matrix
    }
    if checked {
      let problems = corpus.structuralProblems()
      if let first = problems.first {
        let more = problems.count > 1 ? " (and \(problems.count - 1) more: `cmh corpus validate` lists them)" : ""
        throw CorpusError(first.path, line: first.line, first.problem + more)
      }
    }
    return corpus
  }

  static func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, _): return "field \"\(key.stringValue)\" is missing"
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
      return "field \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
    case DecodingError.dataCorrupted(let c): return "malformed JSON (\(c.debugDescription))"
    default: return "\(error)"
    }
  }

  // MARK: Writing

  /// Writes corpus.json, pairs.jsonl, the splits and the features into `directory`; each file
  /// is written to a temporary name and renamed, so a reader never sees half a file.
  public func write(to directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let encoder = JSON.encoder(pretty: true)
    try save(encoder.encode(info), directory.appendingPathComponent("corpus.json"))
    let lineEncoder = JSON.encoder()
    var lines = Data()
    for pair in pairs {
      lines.append(try lineEncoder.encode(pair))
      lines.append(UInt8(ascii: "\n"))
    }
    try save(lines, directory.appendingPathComponent("pairs.jsonl"))
    try splits?.write(to: directory, ids: pairs.map(\.id))
    if imageFeatures != nil || textFeatures != nil {
      try FileManager.default.createDirectory(at: directory.appendingPathComponent("features"), withIntermediateDirectories: true)
    }
    try imageFeatures?.write(to: directory.appendingPathComponent("features/image.npy"))
    try textFeatures?.write(to: directory.appendingPathComponent("features/text.npy"))
  }

  private func save(_ data: Data, _ url: URL) throws {
    do { try AtomicFile.write(data, to: url) } catch let error as FileError { throw CorpusError(url.path, error.problem) }
  }
}
