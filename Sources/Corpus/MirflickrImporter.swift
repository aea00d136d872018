// MirflickrImporter: MIRFlickr-25K in its official layout — mirflickr/im<N>.jpg, the tag files
// mirflickr/meta/tags/tags<N>.txt (one tag a line) and the annotation folder (<concept>.txt lists
// the image numbers having it; the stricter <concept>_r1.txt lists are ignored). DCMH protocol:
// the concepts are the labels (24), tags found in at least 20 images form the vocabulary (1,386
// words), and images without a label or a vocabulary tag are dropped (20,015 remain).

import Foundation

public struct MirflickrImportSettings: Sendable {
  /// The folder holding im1.jpg … and meta/tags/.
  public var images: URL
  /// The folder holding the annotation lists.
  public var annotations: URL
  public var minimumTagCount = 20
  public init(images: URL, annotations: URL) { self.images = images; self.annotations = annotations }
}

public enum MirflickrImporter {
  public static func importCorpus(_ s: MirflickrImportSettings) throws -> (Corpus, ImportSummary) {
    let concepts = try conceptLists(s.annotations)
    let names = concepts.keys.sorted()
    var labels = [Int: [Int]]()
    for (l, name) in names.enumerated() { for image in concepts[name]! { labels[image, default: []].append(l) } }
    let tagFolder = s.images.appendingPathComponent("meta/tags")
    let imageNumbers = try FileManager.default.contentsOfDirectory(atPath: s.images.path).compactMap { file -> Int? in
      guard file.hasPrefix("im"), file.hasSuffix(".jpg") else { return nil }
      return Int(file.dropFirst(2).dropLast(4))
    }.sorted()
    guard !imageNumbers.isEmpty else { throw CorpusError(s.images.path, "no im<N>.jpg files (expected the mirflickr/ folder of the official zip)") }
    var tags = [Int: [String]]()
    for n in imageNumbers {
      let url = tagFolder.appendingPathComponent("tags\(n).txt")
      tags[n] = ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }
    let vocabulary = Tokenizer(mode: .tags).vocabulary(imageNumbers.map { tags[$0]!.joined(separator: " ") }, minimumCount: s.minimumTagCount)
    let known = Set(vocabulary)
    var pairs = [Pair](), summary = ImportSummary()
    for n in imageNumbers {
      guard let l = labels[n], !l.isEmpty else { summary.dropped["without a label", default: 0] += 1; continue }
      let kept = tags[n]!.filter(known.contains)
      guard !kept.isEmpty else { summary.dropped["without a tag in the vocabulary", default: 0] += 1; continue }
      pairs.append(Pair(id: "im\(n)", image: s.images.appendingPathComponent("im\(n).jpg").standardizedFileURL.path,
                        text: tags[n]!.joined(separator: " "), labels: l.sorted()))
    }
    summary.kept = pairs.count
    let info = CorpusInfo(name: "mirflickr25k", labels: names,
                          source: "cmh corpus import mirflickr25k: \(s.images.path), \(s.annotations.path), tags in ≥ \(s.minimumTagCount) images",
                          textMode: .tags, textVocabulary: vocabulary.sorted())
    return (Corpus(directory: s.images, info: info, pairs: pairs), summary)
  }

  /// concept → image numbers, from every <concept>.txt except *_r1.txt and README.txt.
  static func conceptLists(_ folder: URL) throws -> [String: [Int]] {
    guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { throw CorpusError(folder.path, "cannot list the annotation folder") }
    var lists = [String: [Int]]()
    for file in files where file.hasSuffix(".txt") && !file.hasSuffix("_r1.txt") && file.lowercased() != "readme.txt" {
      let url = folder.appendingPathComponent(file)
      guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw CorpusError(url.path, "cannot read") }
      var numbers = [Int]()
      for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let field = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if field.isEmpty { continue }
        guard let n = Int(field) else { throw CorpusError(url.path, line: i + 1, "expected an image number, found \"\(field)\"") }
        numbers.append(n)
      }
      lists[String(file.dropLast(4))] = numbers
    }
    guard !lists.isEmpty else { throw CorpusError(folder.path, "no annotation lists (<concept>.txt)") }
    return lists
  }
}
