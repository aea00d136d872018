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
  /// The labels of an image or item query, when known (an item of an index, a corpus photo).
  public var labels: [String]?
  /// An image query's caption (the `<photo>.txt` beside the photo), when there is one.
  public var caption: String?

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
  /// The re-ranking score (higher first); nil without re-ranking.
  public var score: Double?
  /// The image path (an image index) or the text (a text index).
  public var image: String?
  public var text: String?
  public let labels: [String]
  /// The labels the query names (its words, or the labels of the item searched by).
  public let matched: [String]

  public init(rank: Int, id: String, distance: Int, tied: Int, score: Double? = nil, image: String?, text: String?, labels: [String], matched: [String]) {
    self.rank = rank; self.id = id; self.distance = distance; self.tied = tied; self.score = score
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
  /// The re-ranking: none, asymmetric, stored, qe or kreciprocal.
  public let rerank: String
  /// How the results are ordered, ties included.
  public let ties: String
  public let results: [SearchResult]

  public static let tieRule = "equal distances rank by item position"

  public init(query: SearchQuery, target: String, index: String?, size: Int, ignored: [String], rerank: String = "none", ties: String, results: [SearchResult]) {
    self.query = query; self.target = target; self.index = index; self.size = size
    self.ignored = ignored; self.rerank = rerank; self.ties = ties; self.results = results
  }

  /// The ordering rule of a search re-ranked by `method` over the candidates `settings` names.
  public static func order(_ method: RerankMethod, _ settings: RerankSettings) -> String {
    let within = settings.radius.map { "; only codes within distance \($0)" } ?? ""
    return method == .none ? tieRule + within
      : "the \(settings.describedCandidates) re-ranked by the \(method) score; equal scores by distance, then item position"
  }
}

/// How a search orders its results: the re-ranking and its settings.
public struct Ranking: Sendable, Equatable {
  public var method: RerankMethod
  public var settings: RerankSettings
  /// Whether the method is the default rather than asked for by name: a default that needs stored
  /// outputs falls back on an index without them, a method asked for is refused there.
  public var isDefault: Bool

  public init(_ method: RerankMethod, settings: RerankSettings = RerankSettings(), isDefault: Bool = false) {
    self.method = method; self.settings = settings; self.isDefault = isDefault
  }

  /// The re-ranking a search uses when none is asked for, chosen by measurement (docs/reranking.md).
  public static let defaultMethod = RerankMethod.stored
  /// For an index without stored outputs (written by an older cmh): the best method that needs none.
  public static let defaultWithoutStoredOutputs = RerankMethod.asymmetric

  public static func standard(_ settings: RerankSettings = RerankSettings()) -> Ranking { Ranking(defaultMethod, settings: settings, isDefault: true) }

  /// The rankings a request names: the default (nil), one method by name, or every method for
  /// "all" (an evaluation's columns); nil for a name that is none of these.
  public static func named(_ name: String?, settings: RerankSettings, allowingAll: Bool) -> [Ranking]? {
    guard let name else { return [.standard(settings)] }
    if name == "all" { return allowingAll ? RerankMethod.allCases.map { Ranking($0, settings: settings) } : nil }
    return RerankMethod(rawValue: name).map { [Ranking($0, settings: settings)] }
  }

  /// This ranking as it applies to `index`.
  public func applied(to index: IndexFile) throws -> Ranking {
    guard method.needsStoredOutputs, index.outputs == nil else { return self }
    if isDefault { return Ranking(Self.defaultWithoutStoredOutputs, settings: settings, isDefault: true) }
    throw SearchError(.unsupported, "\(index.path) keeps no stored outputs (an index from an older cmh), so it cannot be re-ranked by \(method); "
                      + "encode the corpus again, or use --rerank asymmetric")
  }
}

public enum Searcher {
  /// A text query's search: the labels its known words name are marked, the words the model did
  /// not know are listed as ignored.
  public static func search(_ encoded: QueryEncoder.EncodedText, text: String, in index: IndexFile, using searchable: HammingIndex? = nil,
                            k: Int, ranking: Ranking = .standard(), threads: Int = HammingSearch.defaultThreads) throws -> SearchAnswer {
    var answer = try search(encoded.query, in: index, using: searchable, k: k, query: .text(text), marking: Set(encoded.words), ranking: ranking, threads: threads)
    answer.ignored = encoded.ignored
    return answer
  }

  /// The `k` best items of `index` for `encoded`: its nearest codes, re-ranked as `ranking` says,
  /// with the size of each tie group shown and the labels the query names marked.
  public static func search(_ encoded: EncodedQuery, in index: IndexFile, using searchable: HammingIndex? = nil, k: Int,
                            query: SearchQuery, marking named: Set<String> = [], ranking: Ranking = .standard(),
                            threads: Int = HammingSearch.defaultThreads) throws -> SearchAnswer {
    let ranking = try ranking.applied(to: index)
    let wanted = max(0, min(k, index.count))
    let searchable = searchable ?? HammingIndex(index.codes)
    var ties = [Int]()  // the candidates' scan counts the codes at each distance up to its threshold
    let hits = wanted == 0 ? [] : Reranker.candidates(wanted: wanted, count: index.count, method: ranking.method, settings: ranking.settings,
                                                      topK: { k in
                                                        let counted = searchable.topKCounted(encoded.codes, k: k, threads: threads)
                                                        ties = counted[0].ties
                                                        return counted.map(\.hits)
                                                      },
                                                      radius: { searchable.radius(encoded.codes, radius: $0, threads: threads) })[0]
    let ranked = Array(Reranker.rerank(hits, query: encoded.output, codes: index.codes, outputs: index.outputs,
                                       method: ranking.method, settings: ranking.settings).prefix(wanted))
    let tied = tieCounts(of: ranked, candidates: hits, ties: ties, encoded, index, radius: ranking.settings.radius, threads: threads)
    let lowered = Set(named.map { $0.lowercased() })
    let results = ranked.enumerated().map { rank, hit -> SearchResult in
      let item = index.item(hit.index)
      return SearchResult(rank: rank + 1, id: item.id, distance: hit.distance, tied: tied[hit.distance] ?? 0,
                          score: ranking.method == .none ? nil : (Double(hit.score) * 10_000).rounded() / 10_000,
                          image: index.modality == .image ? item.display : nil, text: index.modality == .text ? item.display : nil,
                          labels: item.labels, matched: item.labels.filter { lowered.contains($0.lowercased()) })
    }
    var query = query
    if query.kind != "text", query.labels == nil, !named.isEmpty { query.labels = named.sorted() }
    return SearchAnswer(query: query, target: index.modality.description, index: nil, size: index.count, ignored: [],
                        rerank: ranking.method.rawValue, ties: SearchAnswer.order(ranking.method, ranking.settings), results: results)
  }

  /// How many items of the index lie at each distance a shown result has. The candidates give the
  /// counts below their farthest distance; at that edge, where the candidates hold only some of the
  /// tied items, the candidates' own scan counted them (`ties`), and a second scan is needed only
  /// where it could not (multi-index hashing, or a split scan that stopped counting lower).
  static func tieCounts(of shown: [RankedHit], candidates: [SearchHit], ties: [Int], _ encoded: EncodedQuery, _ index: IndexFile, radius: Int?,
                        threads: Int) -> [Int: Int] {
    var counts = [Int: Int]()
    for hit in candidates { counts[hit.distance, default: 0] += 1 }
    let complete = { (d: Int) in radius != nil || candidates.count == index.count || d < (candidates.last?.distance ?? 0) }
    guard let edge = shown.map(\.distance).filter({ !complete($0) }).max() else { return counts }
    let all = edge < ties.count ? ties : HammingSearch.distanceCounts(encoded.codes, 0, in: index.codes, upTo: edge, threads: threads)
    for (d, n) in all.enumerated() { counts[d] = n }
    return counts
  }
}
