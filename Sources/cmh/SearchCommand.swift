// cmh search: one query across modalities — free text against an image index, or an image file
// against a text index — ranked by Hamming distance, as a table, JSON lines, or an HTML page.

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Tensor
import Training

struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search images by text or texts by image with a trained model and an index from `cmh encode`.",
    subcommands: [TextToImage.self, ImageToText.self])

  struct TextToImage: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "text2image", abstract: "Images for a text query.")
    @Argument(help: "Model file.") var model: String
    @Argument(help: "Image index (image.cmhindex from `cmh encode`).") var index: String
    @Argument(help: "The query text.") var query: String
    @OptionGroup var options: SearchOptions

    func run() throws {
      let trained = try ModelInputs.model(model)
      let target = try options.open(index, modality: .image, model: trained, modelPath: model)
      guard let vocabulary = trained.spec.text.vocabulary else {
        throw CommandError("\(model): the text tower reads the corpus's feature rows and has no vocabulary, so it cannot read free text")
      }
      let (rows, coverage) = vocabulary.encode([query])
      guard coverage.textsWithoutKnownWords == 0 else {
        let known = vocabulary.words.prefix(12).joined(separator: ", ")
        throw CommandError("none of the words of \"\(query)\" is in the model's \(vocabulary.count)-word vocabulary (it knows, for example: \(known))")
      }
      if coverage.unknownTokens > 0, !options.output.quiet {
        FileHandle.standardError.write("not in the vocabulary, ignored: \(coverage.unknownExamples.joined(separator: ", "))\n".data(using: .utf8)!)
      }
      let codes = trained.textCodes(TextInputs(rows: rows, coverage: coverage).scaled(trained.spec.textScaling))
      try options.show(query: .text(query), codes: codes, in: target)
    }
  }

  struct ImageToText: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image2text", abstract: "Texts for an image query.")
    @Argument(help: "Model file.") var model: String
    @Argument(help: "Text index (text.cmhindex from `cmh encode`).") var index: String
    @Argument(help: "The query image (JPEG, PNG or WebP).") var image: String
    @OptionGroup var options: SearchOptions

    func run() throws {
      let trained = try ModelInputs.model(model)
      let target = try options.open(index, modality: .text, model: trained, modelPath: model)
      guard trained.spec.architecture != .mlp else {
        throw CommandError("\(model): the image tower reads feature rows, not image files")
      }
      let inputs = try ImageInputs.decode([URL(fileURLWithPath: image)], size: trained.spec.inputSize)
      try options.show(query: .image(URL(fileURLWithPath: image).path), codes: trained.imageCodes(inputs), in: target)
    }
  }
}

enum SearchQuery {
  case text(String), image(String)
}

struct SearchOptions: ParsableArguments {
  @Option(name: [.short, .long], help: "Results to show (default: 10, or 20 with --html).") var k: Int?
  @Option(help: "Write an HTML page with the results (thumbnails for images) to this file.") var html: String?
  @Flag(help: "Search an index that another model wrote (its model fingerprint differs).") var force = false
  @OptionGroup var output: OutputOptions

  func validate() throws { guard (k ?? 1) >= 1 else { throw ValidationError("-k/--k must be at least 1") } }

  /// How many results: what -k says, else 10 on the terminal and 20 on a page.
  var count: Int { k ?? (html == nil ? 10 : 20) }

  func open(_ path: String, modality: Modality, model: CrossModalModel, modelPath: String) throws -> IndexFile {
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: path))
    guard index.modality == modality else {
      throw CommandError("\(path): a \(index.modality) index; this search needs the \(modality) index (\(modality).cmhindex from `cmh encode`)")
    }
    guard index.bits == model.spec.bits else {
      throw CommandError("\(path): \(index.bits)-bit codes, the model makes \(model.spec.bits)-bit codes; encode the corpus with this model")
    }
    if !force { try index.checkModel(model.fingerprint(), modelPath: modelPath) }
    return index
  }

  func show(query: SearchQuery, codes: BinaryCodes, in index: IndexFile) throws {
    let hits = HammingIndex(index.codes).topK(codes, k: min(count, index.count))[0]
    let rows = hits.enumerated().map { (rank: $0 + 1, distance: $1.distance, item: index.item($1.index)) }
    let key = index.modality == .image ? "image" : "text"
    // Tie groups: how many items of the index share each distance shown.
    let tied = HammingSearch.distanceCounts(codes, 0, in: index.codes, upTo: hits.last?.distance ?? 0)
    if !output.json { print("rank  dist  id  \(key)  [labels]") }
    for r in rows {
      if output.json {
        let object: [String: Any] = ["rank": r.rank, "id": r.item.id, "distance": r.distance, "tied": tied[r.distance], key: r.item.display,
                                     "labels": r.item.labels.split(separator: ",").map(String.init)]
        print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
      } else {
        print(String(format: "%4d  %3d  ", r.rank, r.distance) + "\(r.item.id)  \(r.item.display)" + (r.item.labels.isEmpty ? "" : "  [\(r.item.labels)]"))
      }
    }
    if !output.json && !rows.isEmpty {
      let groups = Set(rows.map(\.distance)).sorted().map { "\(tied[$0]) at distance \($0)" }
      print("ties: " + groups.joined(separator: ", ") + " in the index (equal distances rank by item position)")
    }
    fflush(stdout)  // the results before the "wrote" line, also when both streams go to one pipe
    if let html {
      let folder = URL(fileURLWithPath: html).deletingLastPathComponent()
      try Data(SearchPage.render(query: query, rows: rows.map { ($0.rank, $0.distance, $0.item) }, tied: tied, modality: index.modality, pageFolder: folder).utf8)
        .write(to: URL(fileURLWithPath: html), options: .atomic)
      if !output.quiet { FileHandle.standardError.write("wrote \(html)\n".data(using: .utf8)!) }
    }
  }
}

/// The HTML page of one search: the query, then the results with thumbnails or texts. Images are
/// linked relative to the page, so that the page and its collection can move together; the labels
/// a text query names are marked.
enum SearchPage {
  static func render(query: SearchQuery, rows: [(Int, Int, IndexItem)], tied: [Int], modality: Modality, pageFolder: URL) -> String {
    var page = "<!doctype html>\n<meta charset=\"utf-8\"><title>cmh search</title>\n"
    page += "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;width:180px;margin:8px;vertical-align:top}"
    page += "img{width:160px;image-rendering:pixelated;border:1px solid #ccc}li{margin:6px 0}.d{color:#666}b{color:#064}</style>\n"
    var named = Set<String>()
    switch query {
    case .text(let text):
      page += "<h1>Images for “\(escape(text))”</h1>\n"
      named = Set(text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
    case .image(let path): page += "<h1>Texts for this image</h1><img src=\"\(escape(link(path, from: pageFolder)))\">\n"
    }
    let labels = { (item: IndexItem) in
      item.labels.split(separator: ",").map { l in named.contains(l.lowercased()) ? "<b>\(escape(String(l)))</b>" : escape(String(l)) }.joined(separator: ", ")
    }
    if modality == .image {
      for (rank, distance, item) in rows {
        page += "<figure><img src=\"\(escape(link(item.display, from: pageFolder)))\"><figcaption>\(rank). \(escape(item.id)) <span class=d>distance \(distance) (\(tied[distance]) tied)</span><br>\(labels(item))</figcaption></figure>\n"
      }
    } else {
      page += "<ol>\n"
      for (_, distance, item) in rows {
        page += "<li>\(escape(item.display)) <span class=d>(\(escape(item.id)), distance \(distance), \(tied[distance]) tied; \(labels(item)))</span></li>\n"
      }
      page += "</ol>\n"
    }
    return page
  }

  /// `path` as a link from a page in `folder`: relative, percent-encoded.
  static func link(_ path: String, from folder: URL) -> String {
    let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents, base = folder.standardizedFileURL.pathComponents
    var shared = 0
    while shared < min(target.count - 1, base.count) && target[shared] == base[shared] { shared += 1 }
    let relative = Array(repeating: "..", count: base.count - shared) + target[shared...]
    return relative.joined(separator: "/").addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
