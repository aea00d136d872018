// SearchReference: the plain searches the fast paths are tested against: every distance, then a
// full sort by (distance, item).

public enum SearchReference {
  /// All database items ranked for one query by (distance, item index).
  public static func ranking(_ queries: BinaryCodes, _ q: Int, in database: BinaryCodes) -> [SearchHit] {
    (0..<database.count)
      .map { SearchHit(index: $0, distance: queries.distance(q, to: database, $0)) }
      .sorted { ($0.distance, $0.index) < ($1.distance, $1.index) }
  }

  public static func topK(_ queries: BinaryCodes, in database: BinaryCodes, k: Int) -> [[SearchHit]] {
    (0..<queries.count).map { Array(ranking(queries, $0, in: database).prefix(k)) }
  }

  public static func radius(_ queries: BinaryCodes, in database: BinaryCodes, radius: Int) -> [[SearchHit]] {
    (0..<queries.count).map { ranking(queries, $0, in: database).filter { $0.distance <= radius } }
  }
}
