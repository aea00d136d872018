// CaptionLabels: labels for a collection that has captions but no labels — the N content words
// that the most captions use, each caption labelled with those of them it contains.

public enum CaptionLabels {
  /// Words too common to tell photos apart, beside the tokenizer's own stop words.
  static let stopWords = Tokenizer.englishStopWords.union([
    "i", "me", "my", "we", "our", "you", "your", "he", "him", "his", "she", "her", "they", "them", "their",
    "be", "was", "were", "been", "being", "am", "has", "have", "had", "do", "does", "did", "not", "no",
    "but", "if", "as", "so", "than", "too", "very", "just", "can", "will", "there", "here", "what", "which",
    "who", "when", "where", "how", "all", "some", "any", "each", "one", "two", "into", "over", "under",
    "up", "down", "out", "off", "about", "after", "before", "while", "these", "those", "then", "also",
    "photo", "picture", "image", "img", "view", "shot",
  ])

  /// The `count` words that the most captions contain (at least two captions each; ties by the
  /// word), and for each caption the indices of those it contains.
  public static func labels(_ captions: [String], count: Int) -> (names: [String], sets: [[Int]]) {
    let tokenizer = Tokenizer(mode: .sentences, stopWords: stopWords)
    let words = tokenizer.tokens
    let names = tokenizer.vocabulary(captions, minimumCount: 2)
      .filter { word in !word.allSatisfy(\.isNumber) }
      .prefix(count).sorted()
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    let sets = captions.map { Set(words($0).compactMap { index[$0] }).sorted() }
    return (names, sets)
  }
}
