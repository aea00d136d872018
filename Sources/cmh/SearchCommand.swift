// cmh search: free text against an image index, or an image against a text index (Search).

import ArgumentParser
import Corpus
import Foundation
import Hashing
import Search

struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search images by text or texts by image with a trained model and an index from `cmh encode`.",
    subcommands: [TextToImage.self, ImageToText.self])

  struct TextToImage: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "text2image", abstract: "Images for a text query.",
      discussion: """
        Examples:
          cmh search text2image cmh-demo/model-64.cmh cmh-demo/index/image.cmhindex "a red circle on the grass"
          cmh search text2image model.cmh index/image.cmhindex "dog on a beach" -k 20 --html results.html
        """)
    @Argument(help: "Model file.") var model: String
    @Argument(help: "Image index (image.cmhindex from `cmh encode`).") var index: String
    @Argument(help: "The query text.") var query: String
    @OptionGroup var options: SearchOptions

    func run() throws {
      let encoder = try QueryEncoder(modelAt: model)
      let target = try encoder.openIndex(URL(fileURLWithPath: index), modality: .image, force: options.force)
      let encoded = try encoder.encode(text: query)
      if !encoded.ignored.isEmpty { options.output.console.note("not in the vocabulary, ignored: \(encoded.ignored.joined(separator: ", "))") }
      try options.show(Searcher.search(encoded, text: query, in: target, k: options.count, ranking: try options.ranking()))
    }
  }

  struct ImageToText: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "image2text", abstract: "Texts for an image query.",
      discussion: "Example: cmh search image2text cmh-demo/model-64.cmh cmh-demo/index/text.cmhindex photo.jpg --html results.html")
    @Argument(help: "Model file.") var model: String
    @Argument(help: "Text index (text.cmhindex from `cmh encode`).") var index: String
    @Argument(help: "The query image (JPEG, PNG or WebP).") var image: String
    @OptionGroup var options: SearchOptions

    func run() throws {
      let encoder = try QueryEncoder(modelAt: model)
      let target = try encoder.openIndex(URL(fileURLWithPath: index), modality: .text, force: options.force)
      let url = URL(fileURLWithPath: image)
      var query = SearchQuery.image(url.path)
      query.caption = FolderImporter.caption(of: url)
      try options.show(Searcher.search(try encoder.encode(imageFile: url), in: target, k: options.count, query: query, ranking: try options.ranking()))
    }
  }
}

struct SearchOptions: ParsableArguments {
  @Option(name: [.short, .long], parsing: .unconditional, help: "Results to show (default: 10, or 20 with --html).") var k: Int?
  @Option(help: "Write an HTML page with the results (thumbnails for images) to this file.") var html: String?
  @Flag(help: "Search an index that another model wrote (its model fingerprint differs).") var force = false
  @OptionGroup var reranking: RerankOptions
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func ranking() throws -> Ranking { try reranking.rankings(allowingAll: false)[0] }

  func validate() throws { guard (k ?? 1) >= 1 else { throw ValidationError("-k/--k must be at least 1") } }

  /// How many results: what -k says, else 10 on the terminal and 20 on a page.
  var count: Int { k ?? (html == nil ? 10 : 20) }

  func show(_ answer: SearchAnswer) throws { try AnswerOutput.show(answer, console: output.console, html: html) }
}

