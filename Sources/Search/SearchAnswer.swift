// SearchAnswer: the typed result of one search — what the command line prints (a JSON line per
// result), the server answers (the whole object) and the HTML page shows.

import Hashing

/// What was searched for.
public struct SearchQuery: Codable, Equatable, Sendable {
  /// "text", "image" (a file or an upload) or "item" (an item of an index, by id).
  public let kind: String
  public var text: String?
  public var image: String?
  public var id: String?

  public static func text(_ text: String) -> SearchQuery { SearchQuery(kind: "text", text: text) }
  public static func image(_ name: String) -> SearchQuery { SearchQuery(kind: "image", image: name) }
  public static func item(_ id: String) -> SearchQuery { SearchQuery(kind: "item", id: id) }
}

/// One ranked result.
public struct SearchResult: Codable, Equatable, Sendable {
  public let rank: Int
  public let id: String
  public let distance: Int
  /// How many items of the index share this distance (they rank by item position).
  public let tied: Int
  /// The image path (an image index) or the text (a text index).
  public var image: String?
  public var text: String?
  public let labels: [String]
  /// The labels the query names (its words, or the labels of the item searched by).
  public let matched: [String]

  public init(rank: Int, id: String, distance: Int, tied: Int, image: String?, text: String?, labels: [String], matched: [String]) {
    self.rank = rank; self.id = id; self.distance = distance; self.tied = tied
    self.image = image; self.text = text; self.labels = labels; self.matched = matched
  }
}

public struct SearchAnswer: Codable, Equatable, Sendable {
  public let query: SearchQuery
  /// The modality searched: "image" or "text".
  public let target: String
  /// The index set's name (the server's), when there is one.
  public var index: String?
  /// Items in the index.
  public let size: Int
  /// Query words outside the model's vocabulary, ignored.
  public var ignored: [String]
  public let ties: String
  public let results: [SearchResult]

  public static let tieRule = "equal distances rank by item position"

  public init(query: SearchQuery, target: String, index: String?, size: Int, ignored: [String], ties: String, results: [SearchResult]) {
    self.query = query; self.target = target; self.index = index; self.size = size
    self.ignored = ignored; self.ties = ties; self.results = results
  }
}

public enum Searcher {
  /// A text query's search: the labels its known words name are marked, the words the model did
  /// not know are listed as ignored.
  public static func search(_ encoded: QueryEncoder.EncodedText, text: String, in index: IndexFile, using searchable: HammingIndex? = nil,
                            k: Int, threads: Int = HammingSearch.defaultThreads) -> SearchAnswer {
    var answer = search(encoded.codes, in: index, using: searchable, k: k, query: .text(text), marking: Set(encoded.words), threads: threads)
    answer.ignored = encoded.ignored
    return answer
  }

  /// The `k` nearest items of `index` to the one code in `code`, with the size of each tie group
  /// shown and the labels the query names marked.
  public static func search(_ code: BinaryCodes, in index: IndexFile, using searchable: HammingIndex? = nil, k: Int,
                            query: SearchQuery, marking named: Set<String> = [], threads: Int = HammingSearch.defaultThreads) -> SearchAnswer {
    precondition(code.count == 1, "Searcher.search: one query code, got \(code.count)")
    let wanted = max(0, min(k, index.count))
    let hits = wanted == 0 ? [] : (searchable ?? HammingIndex(index.codes)).topK(code, k: wanted, threads: threads)[0]
    let tied = HammingSearch.distanceCounts(code, 0, in: index.codes, upTo: hits.last?.distance ?? 0, threads: threads)
    let lowered = Set(named.map { $0.lowercased() })
    let results = hits.enumerated().map { rank, hit -> SearchResult in
      let item = index.item(hit.index)
      return SearchResult(rank: rank + 1, id: item.id, distance: hit.distance, tied: tied[hit.distance],
                          image: index.modality == .image ? item.display : nil, text: index.modality == .text ? item.display : nil,
                          labels: item.labels, matched: item.labels.filter { lowered.contains($0.lowercased()) })
    }
    return SearchAnswer(query: query, target: index.modality.description, index: nil, size: index.count, ignored: [],
                        ties: SearchAnswer.tieRule, results: results)
  }
}
