// CocoImporter: MS-COCO from its instances_*.json and captions_*.json. The 80 categories are the
// labels; each image's text is one caption chosen with the seed, or all its captions joined;
// images without a label or a caption are dropped; the vocabulary is the most frequent words.

import Foundation

public struct CocoImportSettings: Sendable {
  public var instances: [URL]
  public var captions: [URL]
  /// Folders holding the images (train2014/, val2014/); each image is looked up by file name.
  public var imageFolders: [URL]
  public var allCaptions = false
  public var vocabularySize = 2000
  public var seed: UInt64 = 0
  public init(instances: [URL], captions: [URL], imageFolders: [URL]) {
    self.instances = instances; self.captions = captions; self.imageFolders = imageFolders
  }
}

public enum CocoImporter {
  public static func importCorpus(_ s: CocoImportSettings, into directory: URL) throws -> (Corpus, ImportSummary) {
    var categories = [Int: String](), fileNames = [Int: String](), labels = [Int: Set<Int>](), texts = [Int: [String]]()
    for url in s.instances {
      let json = try object(url)
      for c in try list(json, "categories", url) { if let id = c["id"] as? Int, let name = c["name"] as? String { categories[id] = name } }
      for image in try list(json, "images", url) { if let id = image["id"] as? Int, let name = image["file_name"] as? String { fileNames[id] = name } }
      for a in try list(json, "annotations", url) {
        guard let image = a["image_id"] as? Int, let category = a["category_id"] as? Int else {
          throw CorpusError(url.path, "an annotation lacks \"image_id\" or \"category_id\"")
        }
        labels[image, default: []].insert(category)
      }
    }
    for url in s.captions {
      for a in try list(try object(url), "annotations", url) {
        if let image = a["image_id"] as? Int, let caption = a["caption"] as? String { texts[image, default: []].append(caption.trimmingCharacters(in: .whitespacesAndNewlines)) }
      }
    }
    let categoryIDs = categories.keys.sorted()
    guard !categoryIDs.isEmpty else { throw CorpusError(s.instances.first?.path ?? "instances", "no categories") }
    let labelIndex = Dictionary(uniqueKeysWithValues: categoryIDs.enumerated().map { ($1, $0) })
    let located = locate(s.imageFolders)
    var summary = ImportSummary(), pairs = [Pair](), generator = SplitGenerator(seed: s.seed)
    for id in fileNames.keys.sorted() {
      let name = fileNames[id]!
      guard let set = labels[id], !set.isEmpty else { summary.dropped["without a label", default: 0] += 1; continue }
      guard let captions = texts[id], !captions.isEmpty else { summary.dropped["without a caption", default: 0] += 1; continue }
      guard let path = located[name] else { summary.dropped["whose image file was not found", default: 0] += 1; continue }
      let text = s.allCaptions ? captions.joined(separator: " ") : captions[generator.int(below: captions.count)]
      pairs.append(Pair(id: "coco\(id)", image: path, text: text, labels: set.compactMap { labelIndex[$0] }.sorted()))
    }
    summary.kept = pairs.count
    let vocabulary = Tokenizer(mode: .sentences).vocabulary(pairs.compactMap(\.text), limit: s.vocabularySize)
    let info = CorpusInfo(name: "coco", labels: categoryIDs.map { categories[$0]! },
                          source: "cmh corpus import coco: " + (s.instances + s.captions).map(\.lastPathComponent).joined(separator: ", "),
                          textMode: .sentences, textVocabulary: vocabulary)
    let corpus = Corpus(directory: directory, info: info, pairs: pairs)
    return (corpus, summary)
  }

  static func object(_ url: URL) throws -> [String: Any] {
    guard let data = try? Data(contentsOf: url) else { throw CorpusError(url.path, "cannot read") }
    do {
      guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw CorpusError(url.path, "expected a JSON object at the top") }
      return json
    } catch let error as CorpusError { throw error } catch {
      throw CorpusError(url.path, "malformed JSON: \(error.localizedDescription)")
    }
  }

  static func list(_ json: [String: Any], _ key: String, _ url: URL) throws -> [[String: Any]] {
    guard let value = json[key] else { throw CorpusError(url.path, "field \"\(key)\" is missing") }
    guard let items = value as? [[String: Any]] else { throw CorpusError(url.path, "field \"\(key)\" is not a list of objects") }
    return items
  }

  /// Absolute paths of the files below `folders`, by file name.
  static func locate(_ folders: [URL]) -> [String: String] {
    var found = [String: String]()
    for folder in folders {
      guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
      for case let url as URL in walker where found[url.lastPathComponent] == nil { found[url.lastPathComponent] = url.standardizedFileURL.path }
    }
    return found
  }
}
