// ListImporter: the plain list format of the Wikipedia benchmark and similar collections —
// lines "<text-id> <image-id> <class>", a folder of texts (<text-id>.xml or .txt; markup is
// stripped) and a folder of images (<image-id>.jpg anywhere below it).

import Foundation

public struct ListImportSettings: Sendable {
  public var lists: [URL]
  public var texts: URL
  public var images: URL
  /// Class names, one per line; class k of the lists is line k (1-based, as the Wikipedia set counts).
  public var categories: URL?
  public init(lists: [URL], texts: URL, images: URL) { self.lists = lists; self.texts = texts; self.images = images }
}

public enum ListImporter {
  public static func importCorpus(_ s: ListImportSettings, into directory: URL) throws -> (Corpus, ImportSummary) {
    let imageFiles = CocoImporter.locate([s.images]).reduce(into: [String: String]()) { $0[($1.key as NSString).deletingPathExtension] = $1.value }
    let names = try s.categories.map { try MatImporter.lines($0) }
    var pairs = [Pair](), summary = ImportSummary(), classes = Set<Int>()
    for list in s.lists {
      guard let text = try? String(contentsOf: list, encoding: .utf8) else { throw CorpusError(list.path, "cannot read") }
      for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let fields = line.split(whereSeparator: \.isWhitespace)
        if fields.isEmpty { continue }
        guard fields.count == 3, let k = Int(fields[2]), k >= 1 else {
          throw CorpusError(list.path, line: n + 1, "expected \"<text-id> <image-id> <class>\" with a class number from 1")
        }
        if let names, k > names.count { throw CorpusError(list.path, line: n + 1, "class \(k) but the category list has \(names.count) names") }
        let textID = String(fields[0]), imageID = String(fields[1])
        guard let body = readText(s.texts, textID) else { summary.dropped["whose text file was not found", default: 0] += 1; continue }
        guard let image = imageFiles[imageID] else { summary.dropped["whose image was not found", default: 0] += 1; continue }
        classes.insert(k)
        pairs.append(Pair(id: textID, image: image, text: body, labels: [k - 1]))
      }
    }
    summary.kept = pairs.count
    let count = names?.count ?? (classes.max() ?? 0)
    let info = CorpusInfo(name: directory.lastPathComponent, labels: names ?? (1...max(count, 1)).map { "class\($0)" },
                          source: "cmh corpus import list " + s.lists.map(\.lastPathComponent).joined(separator: ", "), textMode: .sentences)
    let corpus = Corpus(directory: directory, info: info, pairs: pairs)
    return (corpus, summary)
  }

  /// The text of <id>.xml or <id>.txt below `folder`, markup removed and spaces folded.
  static func readText(_ folder: URL, _ id: String) -> String? {
    for ext in ["xml", "txt"] {
      let url = folder.appendingPathComponent("\(id).\(ext)")
      guard let raw = (try? String(contentsOf: url, encoding: .utf8)) ?? (try? String(contentsOf: url, encoding: .isoLatin1)) else { continue }
      let stripped = raw.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
      return stripped.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
    return nil
  }
}
