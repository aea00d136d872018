// LabelSets: each item's labels as a bit set, for relevance (any shared label) and gains
// (how many are shared).

public struct LabelSets: Sendable {
  public let count: Int
  public let labelCount: Int
  public let wordsPerItem: Int
  let words: [UInt64]

  /// From each item's label indices (0..<labelCount).
  public init(_ labels: [[Int]], labelCount: Int) {
    precondition(labelCount >= 1, "LabelSets: need at least one label")
    let per = (labelCount + 63) / 64
    var words = [UInt64](repeating: 0, count: labels.count * per)
    for (i, set) in labels.enumerated() {
      for l in set {
        precondition(l >= 0 && l < labelCount, "LabelSets: label \(l) of item \(i) outside 0..<\(labelCount)")
        words[i * per + l / 64] |= 1 << UInt64(l % 64)
      }
    }
    self.count = labels.count
    self.labelCount = labelCount
    self.wordsPerItem = per
    self.words = words
  }

  /// The labels item `a` of self shares with item `b` of other.
  @inline(__always)
  public func shared(_ a: Int, with other: LabelSets, _ b: Int) -> Int {
    var n = 0
    for w in 0..<wordsPerItem { n &+= (words[a * wordsPerItem + w] & other.words[b * wordsPerItem + w]).nonzeroBitCount }
    return n
  }

  /// Whether item `i` holds label `l`.
  @inline(__always)
  public func has(_ i: Int, _ l: Int) -> Bool { words[i * wordsPerItem + l / 64] >> UInt64(l % 64) & 1 == 1 }

  /// How many labels item `i` has.
  public func size(_ i: Int) -> Int {
    (0..<wordsPerItem).reduce(0) { $0 + words[i * wordsPerItem + $1].nonzeroBitCount }
  }

  public func subset(_ indices: [Int]) -> LabelSets {
    LabelSets(indices.map { i in (0..<labelCount).filter { has(i, $0) } }, labelCount: labelCount)
  }
}
