// FolderImporter: a user's own photos — in folders named by their label, or in one folder with
// labels from a labels file or from their captions, each with an optional sidecar caption
// (photo.jpg + photo.txt) — or a JSON-lines manifest of
// {"image", "text", "labels": [names]} (the manifest also imports images generated elsewhere,
// marked synthetic with --synthetic).

import Foundation

/// Where the labels of a folder of photos come from.
public enum LabelSource: Sendable, Equatable {
  /// The label folders when the photos are in any, else the captions' most common words.
  case automatic
  /// The folder a photo is in is its label (a file name found in several folders gets them all).
  case folders
  /// A file of lines "<photo file name><TAB><label>, <label>, …".
  case file(URL)
  /// The N content words that the most captions use (`CaptionLabels`).
  case captions(Int)

  public static let defaultCaptionWords = 30
}

public enum FolderImporter {
  /// A photo found below the root: its folder (nil directly in the root) and sidecar caption.
  struct Photo {
    let url: URL, relativePath: String, folder: String?, caption: String?
    var fileName: String { url.lastPathComponent }
  }

  /// The photos below `root` (JPEG, PNG or WebP, any depth) with `<photo>.txt` captions, labelled
  /// as `source` says.
  public static func importFolders(_ root: URL, labels source: LabelSource = .automatic, into directory: URL) throws -> (Corpus, ImportSummary) {
    let photos = try findPhotos(root)
    guard !photos.isEmpty else {
      throw CorpusError(root.path, "no photos below this folder (expected \(ImageFile.extensions.sorted().map { "." + $0 }.joined(separator: ", ")) files)")
    }
    var summary = ImportSummary()
    let labelled: (names: [String], pairs: [Pair])
    switch source {
    case .automatic where photos.contains { $0.folder != nil }, .folders: labelled = try byFolder(photos, root, &summary)
    case .automatic: labelled = try byCaption(photos, words: LabelSource.defaultCaptionWords, root, &summary)
    case .captions(let words): labelled = try byCaption(photos, words: words, root, &summary)
    case .file(let url): labelled = try byFile(photos, LabelsFile.read(url), &summary)
    }
    summary.kept = labelled.pairs.count
    let corpus = Corpus(directory: directory, info: CorpusInfo(name: directory.lastPathComponent, labels: labelled.names,
                                                               source: "cmh corpus import folder \(root.path)", textMode: .sentences), pairs: labelled.pairs)
    return (corpus, summary)
  }

  static func findPhotos(_ root: URL) throws -> [Photo] {
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
      throw CorpusError(root.path, "cannot list the folder")
    }
    let base = root.standardizedFileURL.path
    var photos = [Photo]()
    for case let url as URL in walker where ImageFile.extensions.contains(url.pathExtension.lowercased()) {
      let path = url.standardizedFileURL.path, parent = url.deletingLastPathComponent().standardizedFileURL.path
      photos.append(Photo(url: url.standardizedFileURL, relativePath: String(path.dropFirst(base.count + 1)),
                          folder: parent == base ? nil : url.deletingLastPathComponent().lastPathComponent, caption: caption(of: url)))
    }
    return photos.sorted { $0.relativePath < $1.relativePath }
  }

  /// The caption of a photo: the text of `<photo>.txt` beside it, when there is one.
  public static func caption(of photo: URL) -> String? {
    let sidecar = photo.deletingPathExtension().appendingPathExtension("txt")
    return (try? String(contentsOf: sidecar, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Labels from folders; photos directly in the root have none and are left out.
  static func byFolder(_ photos: [Photo], _ root: URL, _ summary: inout ImportSummary) throws -> ([String], [Pair]) {
    var byName = [String: (path: String, labels: Set<String>, text: String?)]()
    for photo in photos {
      guard let label = photo.folder else {
        summary.dropped["directly in the root folder (no label folder)", default: 0] += 1
        continue
      }
      var entry = byName[photo.fileName] ?? (photo.url.path, [], nil)
      entry.labels.insert(label)
      entry.text = entry.text ?? photo.caption
      byName[photo.fileName] = entry
    }
    guard !byName.isEmpty else { throw CorpusError(root.path, "no photos in label folders (expected ROOT/<label>/<photo>.jpg)") }
    return named(byName.keys.sorted().map { file in
      let entry = byName[file]!
      return (entry.path, file, entry.text, entry.labels.sorted())
    })
  }

  /// Labels from the captions' most common words.
  static func byCaption(_ photos: [Photo], words: Int, _ root: URL, _ summary: inout ImportSummary) throws -> ([String], [Pair]) {
    guard photos.contains(where: { !($0.caption ?? "").isEmpty }) else {
      throw CorpusError(root.path, "the photos have no captions (<photo>.txt beside each) and are in no label folders: add either, or give --labels FILE")
    }
    let (names, sets) = CaptionLabels.labels(photos.map { $0.caption ?? "" }, count: words)
    guard !names.isEmpty else { throw CorpusError(root.path, "no caption word is used by two photos or more, so there are no labels: give --labels FILE") }
    summary.notes.append("labels: the \(names.count) words the captions use most (\(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : ""))")
    let unlabelled = sets.filter(\.isEmpty).count
    if unlabelled > 0 { summary.notes.append("\(unlabelled) photos have none of the \(names.count) label words in their caption") }
    let ids = uniqueIDs(photos.map(\.relativePath))
    return (names, photos.indices.map { Pair(id: ids[$0], image: photos[$0].url.path, text: photos[$0].caption ?? "", labels: sets[$0]) })
  }

  /// Labels from a labels file; photos it does not name are left out.
  static func byFile(_ photos: [Photo], _ file: LabelsFile, _ summary: inout ImportSummary) throws -> ([String], [Pair]) {
    var kept = [(image: String, name: String, caption: String?, labels: [String])]()
    for photo in photos {
      guard let labels = file.labels(of: photo) else {
        summary.dropped["not in the labels file", default: 0] += 1
        continue
      }
      kept.append((photo.url.path, photo.relativePath, photo.caption, labels))
    }
    guard !kept.isEmpty else { throw CorpusError(file.path, "names none of the photos (expected lines \"<photo file name><TAB><label>, <label>\")") }
    return named(kept)
  }

  /// Pairs of photos with label names: the sorted names as the label list, ids from `name`
  /// (`uniqueIDs`), and the caption as the text, or the labels where there is none (it keeps the
  /// pair usable, and says so).
  static func named(_ photos: [(image: String, name: String, caption: String?, labels: [String])]) -> ([String], [Pair]) {
    let names = Set(photos.flatMap(\.labels)).sorted()
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    let ids = uniqueIDs(photos.map(\.name))
    let pairs = photos.enumerated().map { n, photo in
      let text = photo.caption.flatMap { $0.isEmpty ? nil : $0 } ?? photo.labels.sorted().joined(separator: " ")
      return Pair(id: ids[n], image: photo.image, text: text, labels: Set(photo.labels.map { index[$0]! }).sorted())
    }
    return (names, pairs)
  }

  /// Ids from file names without their extension, or the whole path where two would be equal
  /// (photo.jpg and photo.png, or the same name in two folders).
  static func uniqueIDs(_ paths: [String]) -> [String] {
    let stems = paths.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
    var counts = [String: Int]()
    for stem in stems { counts[stem, default: 0] += 1 }
    return paths.indices.map { counts[stems[$0]]! == 1 ? stems[$0] : paths[$0] }
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
