// FolderImporter: a user's own photos — images in folders named by their label, each with an
// optional sidecar caption (photo.jpg + photo.txt) — or a JSON-lines manifest of
// {"image", "text", "labels": [names]} (the manifest also imports images generated elsewhere,
// marked synthetic with --synthetic).

import Foundation

public enum FolderImporter {
  static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

  /// Images below `root`: the folder an image is in is its label; an image found under several
  /// folders (same file name) gets all their labels.
  public static func importFolders(_ root: URL, into directory: URL) throws -> (Corpus, ImportSummary) {
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
      throw CorpusError(root.path, "cannot list the folder")
    }
    var byName = [String: (path: String, labels: Set<String>, text: String?)](), summary = ImportSummary()
    for case let url as URL in walker where imageExtensions.contains(url.pathExtension.lowercased()) {
      let label = url.deletingLastPathComponent().lastPathComponent
      guard url.deletingLastPathComponent().standardizedFileURL != root.standardizedFileURL else {
        summary.dropped["directly in the root folder (no label folder)", default: 0] += 1
        continue
      }
      let sidecar = url.deletingPathExtension().appendingPathExtension("txt")
      let text = (try? String(contentsOf: sidecar, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
      var entry = byName[url.lastPathComponent] ?? (url.standardizedFileURL.path, [], nil)
      entry.labels.insert(label)
      entry.text = entry.text ?? text
      byName[url.lastPathComponent] = entry
    }
    let names = Array(Set(byName.values.flatMap(\.labels))).sorted()
    guard !names.isEmpty else { throw CorpusError(root.path, "no images in label folders (expected ROOT/<label>/<image>.jpg)") }
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    var pairs = [Pair]()
    for (file, entry) in byName.sorted(by: { $0.key < $1.key }) {
      // Without a caption, the text is the label names: it keeps the pair usable, and says so.
      let text = entry.text.flatMap { $0.isEmpty ? nil : $0 } ?? entry.labels.sorted().joined(separator: " ")
      pairs.append(Pair(id: (file as NSString).deletingPathExtension, image: entry.path, text: text, labels: entry.labels.map { index[$0]! }.sorted()))
    }
    summary.kept = pairs.count
    let corpus = Corpus(directory: directory, info: CorpusInfo(name: directory.lastPathComponent, labels: names,
                                                               source: "cmh corpus import folder \(root.path)", textMode: .sentences), pairs: pairs)
    return (corpus, summary)
  }

  /// A manifest of JSON lines {"image": path, "text": caption, "labels": [names]}; relative image
  /// paths are taken from the manifest's folder.
  public static func importManifest(_ manifest: URL, synthetic: Bool, into directory: URL) throws -> (Corpus, ImportSummary) {
    guard let text = try? String(contentsOf: manifest, encoding: .utf8) else { throw CorpusError(manifest.path, "cannot read") }
    var entries = [(image: String, text: String, labels: [String])]()
    for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw CorpusError(manifest.path, line: n + 1, "malformed JSON; expected {\"image\", \"text\", \"labels\": [names]}")
      }
      guard let image = json["image"] as? String else { throw CorpusError(manifest.path, line: n + 1, "field \"image\" is missing or not a string") }
      guard let labels = json["labels"] as? [String], !labels.isEmpty else { throw CorpusError(manifest.path, line: n + 1, "field \"labels\" must be a non-empty list of names") }
      let path = image.hasPrefix("/") ? image : manifest.deletingLastPathComponent().appendingPathComponent(image).standardizedFileURL.path
      entries.append((path, json["text"] as? String ?? "", labels))
    }
    let names = Array(Set(entries.flatMap(\.labels))).sorted()
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    let pairs = entries.enumerated().map { n, e in
      Pair(id: String(format: "item%06d", n + 1), image: e.image, text: e.text, labels: Set(e.labels.map { index[$0]! }).sorted(), synthetic: synthetic)
    }
    var summary = ImportSummary()
    summary.kept = pairs.count
    let corpus = Corpus(directory: directory, info: CorpusInfo(name: directory.lastPathComponent, labels: names,
                                                               source: "cmh corpus import folder --manifest \(manifest.path)", textMode: .sentences), pairs: pairs)
    return (corpus, summary)
  }
}
