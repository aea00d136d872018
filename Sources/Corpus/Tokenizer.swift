// Tokenizer: words of a text in any language. Lowercased (Unicode-aware), split on anything that
// is not a letter or digit; runs of CJK characters become character bigrams (those scripts write
// no spaces, and a whole run is not one word). In tag mode each whitespace-separated tag is a token.

public struct Tokenizer: Sendable {
  public let mode: TextMode
  public let stopWords: Set<String>

  public static let englishStopWords: Set<String> = ["a", "an", "the", "of", "on", "in", "at", "and", "or", "to", "is", "are", "with", "by", "for", "from", "its", "it", "this", "that"]

  public init(mode: TextMode, stopWords: Set<String> = []) {
    self.mode = mode
    self.stopWords = stopWords
  }

  public func tokens(_ text: String) -> [String] {
    let lower = text.lowercased()
    if mode == .tags {
      return lower.split(whereSeparator: \.isWhitespace).map(String.init).filter { !stopWords.contains($0) }
    }
    var tokens = [String](), word = "", cjk = [Character]()
    func flushWord() { if !word.isEmpty { tokens.append(word); word = "" } }
    func flushCJK() {
      if cjk.count == 1 { tokens.append(String(cjk)) }
      for i in cjk.indices.dropLast() { tokens.append(String(cjk[i...(i + 1)])) }
      cjk = []
    }
    for ch in lower {
      if Self.isCJK(ch) { flushWord(); cjk.append(ch) }
      else if ch.isLetter || ch.isNumber { flushCJK(); word.append(ch) }
      else { flushWord(); flushCJK() }
    }
    flushWord()
    flushCJK()
    return tokens.filter { !stopWords.contains($0) }
  }

  /// Han, Hiragana, Katakana, Hangul and their compatibility blocks.
  static func isCJK(_ c: Character) -> Bool {
    guard let v = c.unicodeScalars.first?.value else { return false }
    return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3040...0x30FF).contains(v)
      || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x20000...0x2A6DF).contains(v)
  }

  /// The `limit` most frequent tokens of `texts` that occur at least `minimumCount` times
  /// (ties by the token), as the protocols build their vocabularies.
  public func vocabulary(_ texts: [String], minimumCount: Int = 1, limit: Int = .max) -> [String] {
    var counts = [String: Int]()
    for text in texts { for t in Set(tokens(text)) { counts[t, default: 0] += 1 } }
    return counts.filter { $0.value >= minimumCount }
      .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .prefix(limit).map(\.key)
  }
}
