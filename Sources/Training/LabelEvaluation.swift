// LabelEvaluation: what the codes carry of each label, which MAP@all ("shares any label") hides.
//   per-label retrieval  for each label l, the mean AP of the queries that hold l, an item being
//                        relevant when it holds l (every direction; grouped by label kind)
//   one label named      for each label, the AP of a text naming it alone (a search for it),
//                        comparable with a classifier's AP for the label
//   conjunctive queries  texts made of two or three label names; the share of the top 10 that
//                        holds every named label, and the share holding the label of each kind
// Both rank as the evaluation they stand beside does (Hamming order or the same re-ranking).

import Corpus
import Foundation
import Hashing
import Model
import TextNet

/// One label's retrieval in one direction.
public struct LabelScore: Sendable {
  public var label: Int, name: String, kind: String?
  /// Queries that hold the label (AP is their mean).
  public var queries: Int
  public var ap: Double, chance: Double
}

public struct LabelReport: Sendable {
  public var direction: Direction
  /// Labels held by at least one query, in label order.
  public var labels: [LabelScore]

  /// The mean AP over labels (each label weighs the same, however frequent).
  public var mean: Double { Self.mean(labels) }

  /// The mean per kind, in the order kinds first appear; empty without kinds.
  public var byKind: [(kind: String, ap: Double)] {
    var kinds = [String]()
    for s in labels { if let k = s.kind, !kinds.contains(k) { kinds.append(k) } }
    return kinds.map { k in (k, Self.mean(labels.filter { $0.kind == k })) }
  }

  /// The `n` labels with the lowest AP, lowest first.
  public func worst(_ n: Int) -> [LabelScore] { Array(labels.sorted { ($0.ap, $0.label) < ($1.ap, $1.label) }.prefix(n)) }

  static func mean(_ scores: [LabelScore]) -> Double { scores.isEmpty ? 0 : scores.reduce(0) { $0 + $1.ap } / Double(scores.count) }
}

/// A text query made of label names, and the labels it names.
public struct ConjunctiveQuery: Sendable, Equatable {
  public var text: String
  public var labels: [Int]
  public init(text: String, labels: [Int]) { self.text = text; self.labels = labels }
}

public struct ConjunctiveReport: Sendable {
  public var direction: Direction
  public var queries: Int
  /// The share of the top 10 holding every label the query names.
  public var allAt10: Double
  /// The share of the top 10 holding the query's label of each kind (without kinds: "any named
  /// label", the mean over a query's labels).
  public var kindAt10: [(kind: String, share: Double)]
}

public enum LabelEvaluation {
  /// Per-label retrieval of `queries` against `retrieval` in each direction; `kinds` holds one
  /// kind name per label, or nil.
  public static func perLabel(queries: CodeSet, retrieval: CodeSet, names: [String], kinds: [String]?,
                              directions: [Direction] = Direction.allCases, rerank: RerankMethod = .none,
                              settings: RerankSettings = RerankSettings()) -> [LabelReport] {
    precondition(names.count == queries.labels.labelCount, "perLabel: \(names.count) names for \(queries.labels.labelCount) labels")
    var scores = [Direction: [LabelScore]]()
    for l in 0..<names.count {
      let holders = (0..<queries.labels.count).filter { queries.labels.has($0, l) }
      guard !holders.isEmpty else { continue }
      var q = queries.subset(holders), r = retrieval
      q.labels = LabelSets(holders.map { _ in [0] }, labelCount: 1)
      r.labels = LabelSets((0..<retrieval.labels.count).map { retrieval.labels.has($0, l) ? [0] : [] }, labelCount: 1)
      for (d, report) in CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: directions, rerank: rerank, settings: settings) {
        scores[d, default: []].append(LabelScore(label: l, name: names[l], kind: kinds?[l], queries: holders.count, ap: report.map, chance: report.mapChance))
      }
    }
    return directions.map { LabelReport(direction: $0, labels: scores[$0] ?? []) }
  }

  /// Up to `count` conjunctive queries drawn from the label sets of `items` (the query split):
  /// each names three of an item's labels (two when it has two), of distinct kinds when the corpus
  /// names kinds, and only labels whose every word `vocabulary` knows. Seeded, so the same corpus
  /// gives the same queries.
  public static func conjunctiveQueries(_ items: LabelSets, names: [String], kinds: [String]?, vocabulary: Vocabulary,
                                        count: Int = 200, seed: UInt64 = 1) -> [ConjunctiveQuery] {
    let named = names.map { vocabulary.knowsEveryWord(of: $0) }
    var generator = SplitGenerator(seed: seed)
    var queries = [ConjunctiveQuery](), seen = Set<[Int]>()
    for i in generator.shuffled(Array(0..<items.count)) where queries.count < count {
      let own = (0..<names.count).filter { named[$0] && items.has(i, $0) }
      guard let picked = pick(own, kinds: kinds, &generator), seen.insert(picked).inserted else { continue }
      queries.append(ConjunctiveQuery(text: picked.map { names[$0] }.joined(separator: " "), labels: picked))
    }
    return queries
  }

  /// Three labels of `own` (two when there are two), one per kind when there are kinds; nil when
  /// fewer than two can be named.
  static func pick(_ own: [Int], kinds: [String]?, _ g: inout SplitGenerator) -> [Int]? {
    var pool = g.shuffled(own)
    if let kinds {
      var taken = Set<String>()
      pool = pool.filter { taken.insert(kinds[$0]).inserted }
    }
    guard pool.count >= 2 else { return nil }
    return Array(pool.prefix(3)).sorted()
  }

  /// The conjunctive figures of `queries` (their text outputs from `model`) against `retrieval`,
  /// text→image and text→text.
  public static func conjunctive(_ queries: [ConjunctiveQuery], model: CrossModalModel, retrieval: CodeSet, labelCount: Int, kinds: [String]?,
                                 rerank: RerankMethod = .none, settings: RerankSettings = RerankSettings()) -> [ConjunctiveReport] {
    guard let encoded = freeText(queries.map(\.text), model: model) else { return [] }
    let directions: [Direction] = [.t2i, .t2t], top10 = EvaluationOptions(cutoffs: [10])
    // Rows of (query, the labels that count as relevant for it) as queries to evaluate.
    let evaluate = { (rows: [(query: Int, labels: [Int])]) in
      CrossModalEvaluation.evaluate(queries: encoded.asking(rows, labelCount: labelCount), retrieval: retrieval, directions: directions,
                                    options: top10, rerank: rerank, settings: settings)
    }
    let whole = evaluate(queries.enumerated().map { ($0, $1.labels) })
    // Each kind alone (without kinds, each named label alone): precision@10 with that label as the
    // only relevance.
    let groups: [(String, [(query: Int, labels: [Int])])] = kinds.map { kinds in
      kindOrder(kinds, queries).map { kind in
        (kind, queries.enumerated().compactMap { q, query in query.labels.first { kinds[$0] == kind }.map { (q, [$0]) } })
      }
    } ?? [("any named label", queries.enumerated().flatMap { q, query in query.labels.map { (q, [$0]) } })]
    var shares = [Direction: [(String, Double)]]()
    for (kind, rows) in groups {
      for (d, report) in evaluate(rows) { shares[d, default: []].append((kind, report.precisionAtK[0])) }
    }
    return whole.map { d, report in
      ConjunctiveReport(direction: d, queries: queries.count, allAt10: report.wholeMatchAt10, kindAt10: shares[d] ?? [])
    }
  }

  /// Per label whose every word the vocabulary knows, the AP of a text naming that label alone
  /// ranking `items` (an item is relevant when it holds the label): what a user who searches for
  /// one label gets, comparable with a classifier's AP for it on the same items. Empty for a model
  /// that reads no free text, or when no item holds a label it can name.
  public static func namedAlone(model: CrossModalModel, names: [String], kinds: [String]?, items: CodeSet,
                                directions: [Direction] = [.t2i, .t2t], rerank: RerankMethod = .none,
                                settings: RerankSettings = RerankSettings()) -> [LabelReport] {
    guard let vocabulary = model.spec.text.vocabulary else { return [] }
    let named = (0..<names.count).filter { vocabulary.knowsEveryWord(of: names[$0]) }
    guard let encoded = freeText(named.map { names[$0] }, model: model) else { return [] }
    var scores = [Direction: [LabelScore]]()
    for (q, l) in named.enumerated() where (0..<items.labels.count).contains(where: { items.labels.has($0, l) }) {
      var r = items
      r.labels = LabelSets((0..<items.labels.count).map { items.labels.has($0, l) ? [0] : [] }, labelCount: 1)
      for (d, report) in CrossModalEvaluation.evaluate(queries: encoded.asking([(q, [0])], labelCount: 1), retrieval: r, directions: directions,
                                                       rerank: rerank, settings: settings) {
        scores[d, default: []].append(LabelScore(label: l, name: names[l], kind: kinds?[l], queries: 1, ap: report.map, chance: report.mapChance))
      }
    }
    guard !scores.isEmpty else { return [] }
    return directions.map { LabelReport(direction: $0, labels: scores[$0] ?? []) }
  }

  /// Free texts encoded as a search encodes them (`CrossModalModel.queryOutputs`); nil without
  /// texts or for a model that reads no free text.
  static func freeText(_ texts: [String], model: CrossModalModel) -> EncodedTexts? {
    guard let tokenizer = model.spec.text.vocabulary?.tokenizer, !texts.isEmpty,
          let outputs = model.queryOutputs(tokenized: texts.map { tokenizer.tokens($0) }) else { return nil }
    return EncodedTexts(values: outputs.scalars, codes: BinaryCodes(signs: outputs.data, count: texts.count, bits: model.spec.bits), bits: model.spec.bits)
  }

  /// Texts' outputs and codes, from which query sets are drawn.
  struct EncodedTexts {
    let values: [Float], codes: BinaryCodes, bits: Int

    /// Rows of (text, the labels that count as relevant for it) as queries of either modality.
    func asking(_ rows: [(query: Int, labels: [Int])], labelCount: Int) -> CodeSet {
      let owners = rows.map(\.query), chosen = owners.flatMap { values[$0 * bits..<($0 + 1) * bits] }
      return CodeSet(image: codes.subset(owners), text: codes.subset(owners), labels: LabelSets(rows.map(\.labels), labelCount: labelCount),
                     imageOutputs: chosen, textOutputs: chosen)
    }
  }

  /// The conjunctive figures of `model` on a corpus described by `info`: its queries drawn from the
  /// query split's label sets (`queries.labels`); empty when the model reads no free text or no
  /// label name is in its vocabulary.
  public static func conjunctive(model: CrossModalModel, info: CorpusInfo, queries: CodeSet, retrieval: CodeSet,
                                 rerank: RerankMethod = .none, settings: RerankSettings = RerankSettings()) -> [ConjunctiveReport] {
    guard let vocabulary = model.spec.text.vocabulary else { return [] }
    let asked = conjunctiveQueries(queries.labels, names: info.labels, kinds: info.labelKinds, vocabulary: vocabulary)
    return conjunctive(asked, model: model, retrieval: retrieval, labelCount: info.labels.count, kinds: info.labelKinds, rerank: rerank, settings: settings)
  }

  /// The kinds the queries name, in the order they first appear in the label list.
  static func kindOrder(_ kinds: [String], _ queries: [ConjunctiveQuery]) -> [String] {
    let named = Set(queries.flatMap { $0.labels.map { kinds[$0] } })
    var order = [String]()
    for k in kinds where named.contains(k) && !order.contains(k) { order.append(k) }
    return order
  }
}
