// MatImporter: a corpus from the .mat files in which the benchmarks are passed around — a label
// matrix (LAll, n × labels), a text bag-of-words (YAll, n × words) with its word list, and
// optionally image features (IAll, n × d). Pairs without a label or a word are dropped.

import Foundation

public struct MatImportSettings: Sendable {
  public var labels: URL, labelVariable = "LAll"
  public var texts: URL, textVariable = "YAll"
  public var images: URL?, imageVariable = "IAll"
  /// One word per line, in the text matrix's column order.
  public var vocabulary: URL?
  /// One label name per line, in the label matrix's column order.
  public var labelNames: URL?
  public var name = "imported"
  /// How v7.3 (HDF5) files are read.
  public var hdf5 = MatFileHDF5.Reader.inProcess

  public init(labels: URL, texts: URL) { self.labels = labels; self.texts = texts }

  /// Labels and texts named as on the command line, FILE or FILE:VARIABLE (default LAll, YAll).
  public init(labels: String, texts: String) {
    let (labelFile, labelVariable) = Self.fileAndVariable(labels, default: "LAll")
    let (textFile, textVariable) = Self.fileAndVariable(texts, default: "YAll")
    self.init(labels: labelFile, texts: textFile)
    (self.labelVariable, self.textVariable) = (labelVariable, textVariable)
  }

  /// As a command line names them: the matrices FILE or FILE:VARIABLE, the word and label-name
  /// lists by path; the corpus called `name`.
  public init(labels: String, texts: String, vocabulary: String?, labelNames: String?, name: String) {
    self.init(labels: labels, texts: texts)
    (self.vocabulary, self.labelNames) = (vocabulary.map(URL.init(fileURLWithPath:)), labelNames.map(URL.init(fileURLWithPath:)))
    self.name = name
  }

  /// FILE:VARIABLE split at its last colon (when no "/" follows it), or FILE with the default.
  public static func fileAndVariable(_ spec: String, default variable: String) -> (URL, String) {
    if let colon = spec.lastIndex(of: ":"), !spec[spec.index(after: colon)...].contains("/") {
      return (URL(fileURLWithPath: String(spec[..<colon])), String(spec[spec.index(after: colon)...]))
    }
    return (URL(fileURLWithPath: spec), variable)
  }
}

public struct ImportSummary: Sendable, CustomStringConvertible {
  public var kept = 0
  public var dropped: [String: Int] = [:]
  /// What else a user should know about the import.
  public var notes = [String]()
  public var description: String {
    let reasons = dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    return "kept \(kept) pairs" + (reasons.isEmpty ? ", dropped none" : ", dropped " + reasons.joined(separator: ", "))
      + notes.map { "; " + $0 }.joined()
  }
}

public enum MatImporter {
  public static func importCorpus(_ s: MatImportSettings, into directory: URL) throws -> (Corpus, ImportSummary) {
    let labels = try MatFile(contentsOf: s.labels, hdf5: s.hdf5).array(s.labelVariable)
    let texts = try MatFile(contentsOf: s.texts, hdf5: s.hdf5).array(s.textVariable)
    let images = try s.images.map { try MatFile(contentsOf: $0, hdf5: s.hdf5).array(s.imageVariable) }
    if let images, images.dimensions.count > 2 {
      throw CorpusError(s.images!.path, "\(images.name) holds pixels (\(images.dimensions)); this importer takes image feature matrices (n × d). Export the images as files and use `cmh corpus import folder --manifest`")
    }
    try check(labels, s.labels, texts: texts)
    for (array, url) in [(texts, s.texts), (images, s.images)] where array != nil {
      guard array!.dimensions.count == 2, array!.rows == labels.rows else {
        throw CorpusError(url!.path, "\(array!.name) is \(array!.dimensions), expected \(labels.rows) rows (one per pair, like \(labels.name))")
      }
      try checkFinite(array!, url!)
    }
    let words = try s.vocabulary.map { try lines($0) }
    if let words, words.count != texts.columns {
      throw CorpusError(s.vocabulary!.path, "\(words.count) words for the \(texts.columns) columns of \(texts.name)")
    }
    let names = try s.labelNames.map { try lines($0) } ?? (0..<labels.columns).map { "label\($0)" }
    guard names.count == labels.columns else { throw CorpusError(s.labelNames!.path, "\(names.count) names for \(labels.columns) label columns") }

    var summary = ImportSummary(), pairs = [Pair](), kept = [Int]()
    for r in 0..<labels.rows {
      let present = (0..<labels.columns).filter { labels.at(r, $0) != 0 }
      let tagColumns = (0..<texts.columns).filter { texts.at(r, $0) != 0 }
      if present.isEmpty { summary.dropped["without a label", default: 0] += 1; continue }
      if tagColumns.isEmpty { summary.dropped["without a word", default: 0] += 1; continue }
      let text = words.map { w in tagColumns.map { w[$0] }.joined(separator: " ") }
      pairs.append(Pair(id: String(format: "pair%05d", r + 1), image: nil, text: text, labels: present))
      kept.append(r)
    }
    summary.kept = pairs.count
    let rowsOf = { (a: MatArray) in FeatureMatrix(rows: kept.count, columns: a.columns, values: kept.flatMap { r in (0..<a.columns).map { a.at(r, $0) } }) }
    let info = CorpusInfo(name: s.name, labels: names,
                          source: "cmh corpus import mat: \(s.labels.lastPathComponent):\(s.labelVariable), \(s.texts.lastPathComponent):\(s.textVariable)"
                            + (s.images.map { ", \($0.lastPathComponent):\(s.imageVariable)" } ?? ""),
                          textMode: .tags, textVocabulary: words)
    let corpus = Corpus(directory: directory, info: info, pairs: pairs, imageFeatures: images.map(rowsOf), textFeatures: rowsOf(texts))
    return (corpus, summary)
  }

  /// The label matrix must be pairs × labels, of finite values; a transposed one is named as such
  /// (not blamed on the text matrix that then disagrees with it).
  static func check(_ labels: MatArray, _ url: URL, texts: MatArray) throws {
    guard labels.dimensions.count == 2 else {
      throw CorpusError(url.path, "\(labels.name) is \(labels.dimensions.map(String.init).joined(separator: "×")), expected a 2-D matrix (pairs × labels)")
    }
    if labels.rows != texts.rows && labels.columns == texts.rows {
      throw CorpusError(url.path, "\(labels.name) is \(labels.rows)×\(labels.columns) but \(texts.name) has \(texts.rows) rows: "
                          + "\(labels.name) looks transposed (expected pairs × labels); transpose it before saving")
    }
    try checkFinite(labels, url)
  }

  static func checkFinite(_ array: MatArray, _ url: URL) throws {
    guard let i = array.values.firstIndex(where: { !$0.isFinite }) else { return }
    throw CorpusError(url.path, "\(array.name) holds \(array.values[i]) at row \(i % max(array.rows, 1) + 1), column \(i / max(array.rows, 1) + 1): expected finite numbers")
  }

  /// The non-empty lines of a UTF-8 or (failing that) Latin-1 text file, trimmed.
  static func lines(_ url: URL) throws -> [String] {
    guard let text = (try? String(contentsOf: url, encoding: .utf8)) ?? (try? String(contentsOf: url, encoding: .isoLatin1)) else {
      throw CorpusError(url.path, "cannot read")
    }
    return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }
}
