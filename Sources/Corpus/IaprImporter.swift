// IaprImporter: IAPR TC-12 — images/<dir>/<n>.jpg and annotations_complete_eng/<dir>/<n>.eng.
// The .eng files are XML-like, usually ISO-8859-1 and sometimes malformed (a bare "&", an unknown
// entity), so libxml2 reads them in recover mode; the DESCRIPTION is the text. Labels come from a
// file the user names: one line per image, "<image number> <label> [<label> …]".

import CXML
import Foundation

public struct IaprImportSettings: Sendable {
  /// The folder holding images/ and annotations_complete_eng/.
  public var root: URL
  public var labels: URL
  public init(root: URL, labels: URL) { self.root = root; self.labels = labels }
}

public enum IaprImporter {
  public static func importCorpus(_ s: IaprImportSettings) throws -> (Corpus, ImportSummary) {
    let (names, labelsOf) = try labelFile(s.labels)
    let annotations = s.root.appendingPathComponent("annotations_complete_eng")
    guard let walker = FileManager.default.enumerator(at: annotations, includingPropertiesForKeys: nil) else {
      throw CorpusError(annotations.path, "missing (expected the annotations_complete_eng/ folder of IAPR TC-12)")
    }
    let files = walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "eng" }.sorted { $0.path < $1.path }
    var pairs = [Pair](), summary = ImportSummary()
    for file in files {
      let number = file.deletingPathExtension().lastPathComponent
      guard let fields = try? parse(file) else { summary.dropped["with an unreadable annotation", default: 0] += 1; continue }
      guard let text = fields["DESCRIPTION"], !text.isEmpty else { summary.dropped["without a description", default: 0] += 1; continue }
      guard let l = labelsOf[number], !l.isEmpty else { summary.dropped["without a label", default: 0] += 1; continue }
      let imagePath = fields["IMAGE"].map { s.root.appendingPathComponent($0).standardizedFileURL.path }
        ?? s.root.appendingPathComponent("images/\(file.deletingLastPathComponent().lastPathComponent)/\(number).jpg").path
      pairs.append(Pair(id: "iapr\(number)", image: imagePath, text: text, labels: l))
    }
    summary.kept = pairs.count
    let info = CorpusInfo(name: "iapr-tc12", labels: names, source: "cmh corpus import iapr-tc12: \(s.root.path), labels \(s.labels.lastPathComponent)", textMode: .sentences)
    return (Corpus(directory: s.root, info: info, pairs: pairs), summary)
  }

  /// The text of each top-level element of an .eng file (DESCRIPTION, IMAGE, TITLE, …), spaces folded.
  public static func parse(_ url: URL) throws -> [String: String] {
    guard let data = try? Data(contentsOf: url) else { throw CorpusError(url.path, "cannot read") }
    // Declared UTF-8 files are read as such; everything else as ISO-8859-1, as the collection is.
    let encoding = String(data: data, encoding: .utf8) != nil && data.contains(where: { $0 >= 0x80 }) ? "UTF-8" : "ISO-8859-1"
    let records = data.withUnsafeBytes { raw in
      cmh_xml_root_fields(raw.bindMemory(to: CChar.self).baseAddress, data.count, encoding, url.path)
    }
    guard let records else { throw CorpusError(url.path, "not readable even in recover mode") }
    defer { free(records) }
    var fields = [String: String]()
    for record in String(cString: records).split(separator: "\u{1e}") {
      let parts = record.split(separator: "\u{1f}", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2 else { continue }
      let text = parts[1].split(whereSeparator: \.isWhitespace).joined(separator: " ")
      fields[parts[0].uppercased()] = text.trimmingCharacters(in: CharacterSet(charactersIn: " ;"))
    }
    return fields
  }

  /// (label names in order of first appearance… sorted, image number → label indices).
  static func labelFile(_ url: URL) throws -> ([String], [String: [Int]]) {
    var raw = [String: [String]]()
    for (i, line) in try MatImporter.lines(url).enumerated() {
      let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
      guard fields.count >= 2 else { throw CorpusError(url.path, line: i + 1, "expected \"<image number> <label> [<label> …]\"") }
      raw[fields[0], default: []] += fields.dropFirst()
    }
    let names = Array(Set(raw.values.joined())).sorted()
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    return (names, raw.mapValues { Set($0.map { index[$0]! }).sorted() })
  }
}
