// NearestName: the known name a mistyped one most likely meant ("serch" → "search"), by
// Levenshtein distance, or none when every name is too far to be a typo.

public enum NearestName {
  /// The nearest of `names` to `word`, when it is within a typo's distance (2, or a third of the word).
  public static func closest(to word: String, among names: [String]) -> String? {
    names.map { (name: $0, distance: distance(word, $0)) }.min { $0.distance < $1.distance }
      .flatMap { $0.distance <= max(2, word.count / 3) ? $0.name : nil }
  }

  /// Levenshtein distance: insertions, deletions and substitutions.
  public static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)  // distances from a's prefix so far to each prefix of b
    for (i, x) in a.enumerated() {
      var diagonal = row[0]
      row[0] = i + 1
      for (j, y) in b.enumerated() {
        let substitution = diagonal + (x == y ? 0 : 1)
        diagonal = row[j + 1]
        row[j + 1] = min(substitution, row[j + 1] + 1, row[j] + 1)
      }
    }
    return row[b.count]
  }
}
