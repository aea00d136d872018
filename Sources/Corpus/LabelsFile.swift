// LabelsFile: the labels of a folder of photos, one line per photo: its file name (or its path
// below the folder, or its name without extension), a tab, then its labels separated by commas.
// Empty lines and lines starting with # are skipped.

import Foundation

public struct LabelsFile {
  public let path: String
  /// Labels by the name the line gives.
  public let entries: [String: [String]]

  public static func read(_ url: URL) throws -> LabelsFile {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw CorpusError(url.path, "cannot read the labels file (UTF-8 text expected)") }
    var entries = [String: [String]](), lines = [String: Int]()
    for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      let fields = raw.split(separator: "\t", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard fields.count == 2, !fields[0].isEmpty else {
        throw CorpusError(url.path, line: n + 1, "expected \"<photo file name><TAB><label>, <label>, …\"")
      }
      let labels = fields[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      guard !labels.isEmpty else { throw CorpusError(url.path, line: n + 1, "no labels after the tab") }
      if let first = lines[fields[0]] { throw CorpusError(url.path, line: n + 1, "\"\(fields[0])\" is also on line \(first)") }
      lines[fields[0]] = n + 1
      entries[fields[0]] = labels
    }
    guard !entries.isEmpty else { throw CorpusError(url.path, "the labels file has no lines") }
    return LabelsFile(path: url.path, entries: entries)
  }

  /// The labels of a photo, found by its path below the root, its file name, or its name without extension.
  func labels(of photo: FolderImporter.Photo) -> [String]? {
    entries[photo.relativePath] ?? entries[photo.fileName] ?? entries[(photo.fileName as NSString).deletingPathExtension]
  }
}
