// ShapesText: captions and tag lists for the synthetic corpus, from a small grammar with synonyms,
// varied order, filler words, omissions and typos, so that a text tower has to learn, not match.

enum ShapesText {
  static func caption(scene: Int, objects: [(shape: Int, colour: Int)], _ g: inout SplitGenerator) -> String {
    var phrases = objects.map { o -> String in
      let colour = pick(ShapesVocabulary.synonyms[8 + o.colour], &g), shape = pick(ShapesVocabulary.synonyms[o.shape], &g)
      // Now and then the colour is left out (an omission the label set still has).
      return g.unit() < 0.1 ? "\(pick(ShapesVocabulary.openers, &g)) \(shape)" : "\(pick(ShapesVocabulary.openers, &g)) \(colour) \(shape)"
    }
    phrases = g.shuffled(phrases)
    var text = pick(ShapesVocabulary.lead, &g) + phrases[0]
    for phrase in phrases.dropFirst() { text += " \(pick(ShapesVocabulary.joiners, &g)) \(phrase)" }
    if g.unit() < 0.9 { text += " " + pick(ShapesVocabulary.synonyms[16 + scene], &g) }
    return typo(articles(text), &g)
  }

  static func tags(scene: Int, objects: [(shape: Int, colour: Int)], _ g: inout SplitGenerator) -> String {
    var tags = objects.flatMap { [pick(ShapesVocabulary.tagWords[$0.shape], &g), pick(ShapesVocabulary.tagWords[8 + $0.colour], &g)] }
    tags.append(pick(ShapesVocabulary.tagWords[16 + scene], &g))
    tags = tags.filter { _ in g.unit() > 0.08 }  // omissions
    tags += (0..<g.int(below: 3)).map { _ in pick(ShapesVocabulary.fillerTags, &g) }
    return typo(Array(Set(g.shuffled(tags))).sorted().joined(separator: " "), &g)
  }

  /// "a" becomes "an" before a vowel.
  static func articles(_ text: String) -> String {
    var words = text.split(separator: " ").map(String.init)
    for i in words.indices.dropLast() where words[i] == "a" && "aeiou".contains(words[i + 1].first ?? "x") { words[i] = "an" }
    return words.joined(separator: " ")
  }

  static func pick(_ words: [String], _ g: inout SplitGenerator) -> String { words[g.int(below: words.count)] }

  /// One text in twenty gets a typo: two neighbouring letters swapped.
  static func typo(_ text: String, _ g: inout SplitGenerator) -> String {
    guard g.unit() < 0.05 else { return text }
    var chars = Array(text)
    let candidates = chars.indices.dropLast().filter { chars[$0].isLetter && chars[$0 + 1].isLetter }
    guard !candidates.isEmpty else { return text }
    let i = candidates[g.int(below: candidates.count)]
    chars.swapAt(i, i + 1)
    return String(chars)
  }
}
