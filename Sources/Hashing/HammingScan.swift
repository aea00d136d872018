// HammingScan: the distances from one query to a range of codes, handed to the collector when they
// are within the threshold. Most codes are not (the top-100 threshold of a million random 64-bit
// codes falls to about 17 within the first few thousand), so distances are computed eight codes
// to a vector and compared with the threshold there; only a group holding a hit is looked at
// further. With AVX-512 this is one xor, one popcount, a min and a compare per eight codes.

enum HammingScan {
  typealias Lanes = SIMD8<UInt64>

  /// Codes per group tested at once: four vectors, one branch.
  static let group = 32

  @inline(__always)
  static func scan(_ query: UnsafePointer<UInt64>, _ database: CodeView, _ range: Range<Int>, into c: inout HitCollector) {
    guard c.filter >= 0 else { return }
    switch database.wordsPerCode {
    case 1: oneWord(query[0], database.words, range, into: &c)
    case 2:
      guard let (a, b) = database.halves else { fallthrough }
      twoWords(query[0], query[1], a, b, range, into: &c)
    default: plain(query, database, range, into: &c)
    }
  }

  /// The hits of codes `range` looked at one by one.
  @inline(__always)
  static func plain(_ query: UnsafePointer<UInt64>, _ database: CodeView, _ range: Range<Int>, into c: inout HitCollector) {
    let w = database.wordsPerCode
    for i in range {
      let d = Hamming.distance(query, database.words + i * w, w)
      if d <= c.filter { c.add(i, d) }
    }
  }

  @inline(__always)
  private static func load(_ p: UnsafePointer<UInt64>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

  // A group with a hit is rare, so finding it is a loop of its own that makes no calls and keeps
  // everything in registers; the group's hits are then handed over (one-word codes: only the
  // lanes within the threshold, by a bit mask, which pays in deep searches with many hit groups;
  // two-word codes: code by code), and the search resumes behind the group with the lowered
  // threshold.

  @inline(__always)
  private static func oneWord(_ q: UInt64, _ codes: UnsafePointer<UInt64>, _ range: Range<Int>, into c: inout HitCollector) {
    var i = range.lowerBound
    while true {
      i = nextGroup(q, codes, from: i, to: range.upperBound, threshold: c.filter)
      guard i &+ group <= range.upperBound else { break }
      oneWordGroup(q, codes, i, into: &c)
      i &+= group
    }
    for j in i..<range.upperBound { oneWordHit(q, codes, j, into: &c) }
  }

  /// Lane weights that turn a vector compare into a bit mask (a blend and a sum).
  private static let laneBits = Lanes(1, 2, 4, 8, 16, 32, 64, 128)

  /// A group holding a hit: only the codes within the threshold are looked at, in order, each
  /// checked again (the threshold falls as hits come). A deep search meets many such groups.
  @inline(__always)
  private static func oneWordGroup(_ q: UInt64, _ codes: UnsafePointer<UInt64>, _ i: Int, into c: inout HitCollector) {
    guard c.filter >= 0 else { return }
    let qv = Lanes(repeating: q), t = Lanes(repeating: UInt64(c.filter)), zero = Lanes(repeating: 0)
    var mask: UInt64 = 0
    for part in 0..<4 {
      let d = (load(codes + i + 8 * part) ^ qv).nonzeroBitCount
      mask |= zero.replacing(with: laneBits, where: d .<= t).wrappedSum() << UInt64(8 * part)
    }
    while mask != 0 {
      oneWordHit(q, codes, i + mask.trailingZeroBitCount, into: &c)
      mask &= mask &- 1
    }
  }

  /// The first group from `start` on holding a code within `threshold` of `q`, or where the last
  /// whole group before `end` ends.
  @inline(never)
  private static func nextGroup(_ q: UInt64, _ codes: UnsafePointer<UInt64>, from start: Int, to end: Int, threshold: Int) -> Int {
    guard threshold >= 0 else { return end }
    let qv = Lanes(repeating: q), t = Lanes(repeating: UInt64(threshold))
    var i = start
    while i &+ group <= end {
      let p = codes + i
      let d0 = (load(p) ^ qv).nonzeroBitCount, d1 = (load(p + 8) ^ qv).nonzeroBitCount
      let d2 = (load(p + 16) ^ qv).nonzeroBitCount, d3 = (load(p + 24) ^ qv).nonzeroBitCount
      // The masks' or becomes a min of the distances and one compare.
      if any((d0 .<= t) .| (d1 .<= t) .| (d2 .<= t) .| (d3 .<= t)) { return i }
      i &+= group
    }
    return i
  }

  @inline(__always)
  private static func oneWordHit(_ q: UInt64, _ codes: UnsafePointer<UInt64>, _ j: Int, into c: inout HitCollector) {
    let d = (codes[j] ^ q).nonzeroBitCount
    if d <= c.filter { c.add(j, d) }
  }

  /// Two-word codes split into their first and second words (`BinaryCodes.halves`), so that a
  /// vector holds the same half of eight codes and no lanes need pairing.
  @inline(__always)
  private static func twoWords(_ q0: UInt64, _ q1: UInt64, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ range: Range<Int>,
                               into c: inout HitCollector) {
    var i = range.lowerBound
    while true {
      i = nextGroup(q0, q1, a, b, from: i, to: range.upperBound, threshold: c.filter)
      guard i &+ group <= range.upperBound else { break }
      for j in i..<(i &+ group) { twoWordHit(q0, q1, a, b, j, into: &c) }
      i &+= group
    }
    for j in i..<range.upperBound { twoWordHit(q0, q1, a, b, j, into: &c) }
  }

  @inline(never)
  private static func nextGroup(_ q0: UInt64, _ q1: UInt64, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
                                from start: Int, to end: Int, threshold: Int) -> Int {
    guard threshold >= 0 else { return end }
    let qa = Lanes(repeating: q0), qb = Lanes(repeating: q1), t = Lanes(repeating: UInt64(threshold))
    var i = start
    while i &+ group <= end {
      let d0 = (load(a + i) ^ qa).nonzeroBitCount &+ (load(b + i) ^ qb).nonzeroBitCount
      let d1 = (load(a + i + 8) ^ qa).nonzeroBitCount &+ (load(b + i + 8) ^ qb).nonzeroBitCount
      let d2 = (load(a + i + 16) ^ qa).nonzeroBitCount &+ (load(b + i + 16) ^ qb).nonzeroBitCount
      let d3 = (load(a + i + 24) ^ qa).nonzeroBitCount &+ (load(b + i + 24) ^ qb).nonzeroBitCount
      if any((d0 .<= t) .| (d1 .<= t) .| (d2 .<= t) .| (d3 .<= t)) { return i }
      i &+= group
    }
    return i
  }

  @inline(__always)
  private static func twoWordHit(_ q0: UInt64, _ q1: UInt64, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ j: Int,
                                 into c: inout HitCollector) {
    let d = (a[j] ^ q0).nonzeroBitCount &+ (b[j] ^ q1).nonzeroBitCount
    if d <= c.filter { c.add(j, d) }
  }
}
