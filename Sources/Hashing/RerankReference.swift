// RerankReference: the plain two-stage search the fast path is tested against — every item ranked
// by (distance, position) with a full sort, the first N kept, each scored in Double from its unit
// vector, and a full sort by (score, position).

public enum RerankReference {
  public static func search(_ query: [Float], code queries: BinaryCodes, _ q: Int, in database: BinaryCodes, stored: StoredOutputs?,
                            method: RerankMethod, candidates: Int, radius: Int? = nil, expansion: Int = RerankSettings().expansion) -> [Int] {
    let ranking = SearchReference.ranking(queries, q, in: database)
    let nearest = (radius.map { r in ranking.filter { $0.distance <= r } } ?? Array(ranking.prefix(candidates))).map(\.index)
    guard method != .none else { return nearest }
    precondition(method != .kreciprocal, "RerankReference: k-reciprocal re-ranking is checked on worked examples")
    let vectors = nearest.map { i in unit((method == .asymmetric ? nil : stored).map { s in (0..<s.dimension).map { Double(s.vector(i)[$0]) } }
                                          ?? (0..<database.bits).map { Double(database.sign(i, bit: $0)) }) }
    var target = unit(query.map(Double.init))
    if method == .qe {
      let first = order(vectors.map { dot(target, $0) })
      for r in first.prefix(expansion) { target = zip(target, vectors[r]).map { $0 + $1 } }
      target = unit(target)
    }
    return order(vectors.map { dot(target, $0) }).map { nearest[$0] }
  }

  /// Positions by score, highest first, equal scores by position.
  static func order(_ scores: [Double]) -> [Int] {
    scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
  }

  static func unit(_ v: [Double]) -> [Double] {
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? v.map { $0 / norm } : v.map { _ in 0 }
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
}
