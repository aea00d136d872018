// SearchService: what the server does for each endpoint, without HTTP — text, image and item
// searches over named index sets, item lookup, and the image files an index names. All model work
// runs on one serial queue, and image decoding on another (WorkQueue); the Hamming scans run on the
// caller's thread, one each.

import Corpus
import Dispatch
import Foundation
import Hashing
import Search

public final class SearchService: @unchecked Sendable {
  public let encoder: QueryEncoder
  public let sets: [String: SearchIndexSet]
  public let limits: ServerLimits
  private let model: WorkQueue, decoder: WorkQueue
  private let batcher: TextBatcher

  public init(encoder: QueryEncoder, sets: [String: SearchIndexSet], limits: ServerLimits = ServerLimits()) {
    self.encoder = encoder
    self.sets = sets
    self.limits = limits
    model = WorkQueue(label: "cmh.serve.model", timeoutSeconds: limits.timeoutSeconds)
    decoder = WorkQueue(label: "cmh.serve.decode", timeoutSeconds: limits.timeoutSeconds)
    batcher = TextBatcher(encoder: encoder, model: model)
  }

  /// The set a request names, or the only one / "default" when it names none.
  public func set(_ name: String?) throws -> SearchIndexSet {
    if let name {
      guard let set = sets[name] else {
        throw SearchError(.notFound, "no index set \"\(name)\"; this server has: \(sets.keys.sorted().joined(separator: ", "))")
      }
      return set
    }
    if let only = sets.count == 1 ? sets.values.first : sets["default"] { return only }
    throw SearchError(.badQuery, "this server has several index sets (\(sets.keys.sorted().joined(separator: ", "))); name one with \"index\"")
  }

  public func searchText(_ text: String, k: Int?, index: String?, target: Modality = .image, ranking: Ranking = .standard()) async throws -> SearchAnswer {
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw SearchError(.badQuery, "the query is empty") }
    try checkLength(text)
    let set = try set(index)
    let file = try set.file(target)
    let encoded = try await batcher.encode(text)
    return try search(set: set, k: k) { try Searcher.search(encoded, text: text, in: file, using: set.searchable(file.modality), k: $0, ranking: ranking, threads: 1) }
  }

  /// A query within the limits in bytes, then characters, then words; each is counted only once
  /// the one before has bounded the text.
  func checkLength(_ text: String) throws {
    let bytes = text.utf8.count
    guard bytes <= limits.maxQueryBytes else { throw SearchError(.badQuery, "the query has \(bytes) bytes; at most \(limits.maxQueryBytes)") }
    let characters = text.unicodeScalars.count
    guard characters <= limits.maxQueryCharacters else {
      throw SearchError(.badQuery, "the query has \(characters) characters; at most \(limits.maxQueryCharacters)")
    }
    let words = text.split(whereSeparator: { $0.isWhitespace }).count
    guard words <= limits.maxQueryWords else { throw SearchError(.badQuery, "the query has \(words) words; at most \(limits.maxQueryWords)") }
  }

  /// An uploaded image (its bytes; `name` is the upload's file name, for messages).
  public func searchImage(_ data: Data, name: String, k: Int?, index: String?, target: Modality = .text, ranking: Ranking = .standard()) async throws -> SearchAnswer {
    let set = try set(index)
    let file = try set.file(target)
    let encoder = self.encoder, budget = limits.maxImagePixels
    let image = try await decoder.run { () throws -> RGBImage in
      do { return try ImageFile.decode(data, maximumPixels: budget) } catch { throw SearchError(.badQuery, "\(name): \(error)") }
    }
    let encoded = try await model.run { try encoder.encode(images: [image])[0] }
    return try search(set: set, k: k) {
      try Searcher.search(encoded, in: file, using: set.searchable(file.modality), k: $0, query: .image(name), ranking: ranking, threads: 1)
    }
  }

  /// Searches by an item of the set: its code in the index of `from` (the image index when the
  /// item is there and `from` is not given), its labels marked.
  public func searchItem(_ id: String, from: Modality?, k: Int?, index: String?, target: Modality, ranking: Ranking = .standard()) throws -> SearchAnswer {
    let set = try set(index)
    let (source, position) = try locate(id, in: set, modality: from)
    let labels = Set(source.item(position).labels), file = try set.file(target)
    return try search(set: set, k: k) {
      try Searcher.search(.item(position, of: source), in: file, using: set.searchable(target), k: $0, query: .item(id), marking: labels,
                          ranking: ranking, threads: 1)
    }
  }

  /// Item `id` of a set, and the modality of the index it was found in.
  public func item(_ id: String, index: String?, modality: Modality?) throws -> (IndexItem, Modality) {
    let (file, position) = try locate(id, in: try set(index), modality: modality)
    return (file.item(position), file.modality)
  }

  /// The image file item `id` names in the set's image index (never a path from the request).
  public func imageFile(_ id: String, index: String?) throws -> URL {
    let (item, _) = try item(id, index: index, modality: .image)
    guard !item.display.isEmpty, FileManager.default.isReadableFile(atPath: item.display) else {
      throw SearchError(.notFound, "item \(id): its image file \(item.display) is not there")
    }
    return URL(fileURLWithPath: item.display)
  }

  /// An image file's bytes for a result grid: as they are when small, else scaled down to JPEG.
  /// Decoding a large photo takes tens of milliseconds: it runs off the threads that serve requests.
  public func thumbnail(_ url: URL, longestSide: Int = 256) async throws -> (Data, String) {
    try await withCheckedThrowingContinuation { reply in
      DispatchQueue.global(qos: .utility).async { reply.resume(with: Result { try Thumbnail.bytes(url, longestSide: longestSide) }) }
    }
  }

  // MARK: Pieces

  private func locate(_ id: String, in set: SearchIndexSet, modality: Modality?) throws -> (IndexFile, Int) {
    for m in modality.map({ [$0] }) ?? set.modalities {
      if let position = set.position(of: id, in: m) { return (try set.file(m), position) }
    }
    throw SearchError(.notFound, "no item \"\(id)\" in index set \"\(set.name)\"" + (modality.map { "'s \($0) index" } ?? ""))
  }

  /// `search(k)` with k checked against the limits, the answer named by its set.
  private func search(set: SearchIndexSet, k: Int?, _ search: (Int) throws -> SearchAnswer) throws -> SearchAnswer {
    let k = k ?? limits.defaultResults
    guard k >= 1, k <= limits.maxResults else { throw SearchError(.badQuery, "k is \(k); it must be 1 to \(limits.maxResults)") }
    var answer = try search(k)
    answer.index = set.name
    return answer
  }
}
