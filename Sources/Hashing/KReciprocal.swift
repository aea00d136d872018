// KReciprocal: k-reciprocal re-ranking (Zhong, Zheng, Cao and Li, "Re-ranking Person
// Re-identification with k-reciprocal Encoding", CVPR 2017), over one query and its candidates.
// Two items are k-reciprocal neighbours when each is among the other's k nearest; each point's
// expanded set of such neighbours becomes a weighted vector, and the final distance mixes the
// Jaccard distance of those vectors with the original distance.

import Foundation

public enum KReciprocal {
  /// The final distance of each candidate to the query. `original` holds the n × n distances
  /// (row-major) among the query (point 0) and n − 1 candidates; the result has n − 1 values, in
  /// candidate order. k1: neighbourhood size; k2: neighbours averaged into each vector (local
  /// query expansion, 1 for none); lambda: the weight of the original distance.
  public static func distances(_ original: [Float], count n: Int, k1: Int, k2: Int, lambda: Float) -> [Float] {
    precondition(original.count == n * n && n >= 1, "k-reciprocal: \(original.count) distances for \(n) points")
    guard n > 1 else { return [] }
    let k1 = max(1, min(k1, n - 1)), k2 = max(1, min(k2, k1 + 1))
    // Each row divided by its largest distance, as in the authors' code.
    var d = original
    d.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        var largest: Float = 0
        for j in 0..<n { largest = max(largest, p[i * n + j]) }
        if largest > 0 { for j in 0..<n { p[i * n + j] /= largest } }
      }
    }
    var scratch = [Int]()
    let ranks = Neighbours(d, n: n, count: k1 + 1)
    var marks = Marks(n)
    var v = (0..<n).map { encoding($0, d, ranks, k1: k1, marks: &marks, scratch: &scratch) }
    if k2 > 1 {
      var sums = [Float](repeating: 0, count: n)
      v = (0..<n).map { i in SparseRow.mean((0..<k2).map { ranks.neighbour(i, $0) }, of: v, sums: &sums, marks: &marks) }
    }
    var query = [Float](repeating: 0, count: n)
    for (c, w) in zip(v[0].columns, v[0].weights) { query[c] = w }
    return (1..<n).map { g in
      var shared: Float = 0
      for (c, w) in zip(v[g].columns, v[g].weights) { shared += min(query[c], w) }
      let jaccard = 1 - shared / (2 - shared)
      return (1 - lambda) * jaccard + lambda * d[g]
    }
  }

  /// Point i's k-reciprocal set, expanded by its members' own (k1/2)-reciprocal sets where those
  /// overlap it by more than two thirds, as weights exp(−d) summing to 1.
  static func encoding(_ i: Int, _ d: [Float], _ ranks: Neighbours, k1: Int, marks: inout Marks, scratch theirs: inout [Int]) -> SparseRow {
    let half = Int((Double(k1) / 2).rounded(.toNearestOrEven)), n = ranks.n
    var mine = [Int]()
    ranks.reciprocal(i, size: k1 + 1, into: &mine)
    marks.clear()
    for j in mine { marks.set(j) }
    var expansion = mine
    for c in mine {
      ranks.reciprocal(c, size: half + 1, into: &theirs)
      var shared = 0
      for j in theirs where ranks.contains(i, j, size: k1 + 1) && ranks.contains(j, i, size: k1 + 1) { shared += 1 }
      guard 3 * shared > 2 * theirs.count else { continue }
      for j in theirs where !marks.contains(j) { marks.set(j); expansion.append(j) }
    }
    let weights = expansion.map { exp(-d[i * n + $0]) }
    let total = weights.reduce(0, +)
    return SparseRow(columns: expansion, weights: total > 0 ? weights.map { $0 / total } : weights)
  }
}

/// Each point's `count` nearest points (itself included), nearest first, equal distances by
/// position, and for each pair the place of one in the other's list (for O(1) membership).
struct Neighbours {
  let n: Int, count: Int
  private var table: [Int32]
  /// place[i·n + j]: 1 + j's position in i's list, 0 when j is not in it.
  private var place: [UInt8]

  init(_ d: [Float], n: Int, count: Int) {
    precondition(count < 255, "k-reciprocal: at most 254 neighbours")
    self.n = n
    self.count = count
    var table = [Int32](repeating: 0, count: n * count), place = [UInt8](repeating: 0, count: n * n)
    d.withUnsafeBufferPointer { d in
      table.withUnsafeMutableBufferPointer { out in
        for i in 0..<n {
          let best = out.baseAddress! + i * count
          Self.select(d.baseAddress! + i * n, n: n, count: count, into: best)
          for t in 0..<count { place[i * n + Int(best[t])] = UInt8(t + 1) }
        }
      }
    }
    self.table = table
    self.place = place
  }

  /// Insertion into a sorted list of `count`: most points lose to the current last and cost one comparison.
  private static func select(_ row: UnsafePointer<Float>, n: Int, count: Int, into best: UnsafeMutablePointer<Int32>) {
    let first = min(count, n)
    for j in 0..<first {
      var at = j
      while at > 0 && row[Int(best[at - 1])] > row[j] { best[at] = best[at - 1]; at -= 1 }
      best[at] = Int32(j)
    }
    guard first == count else { return }
    var worst = row[Int(best[count - 1])]
    for j in count..<n where row[j] < worst {
      let x = row[j]
      var at = count - 1
      while at > 0 && row[Int(best[at - 1])] > x { best[at] = best[at - 1]; at -= 1 }
      best[at] = Int32(j)
      worst = row[Int(best[count - 1])]
    }
  }

  /// The point at position t of i's list.
  func neighbour(_ i: Int, _ t: Int) -> Int { Int(table[i * count + t]) }

  /// Whether j is among i's `size` nearest.
  func contains(_ i: Int, _ j: Int, size: Int) -> Bool {
    let p = place[i * n + j]
    return p != 0 && Int(p) <= size
  }

  /// The points among i's `size` nearest that have i among their own `size` nearest.
  func reciprocal(_ i: Int, size: Int, into found: inout [Int]) {
    found.removeAll(keepingCapacity: true)
    for t in 0..<size {
      let j = Int(table[i * count + t])
      if contains(j, i, size: size) { found.append(j) }
    }
  }
}

/// A set of points 0..<n cleared in O(1): a mark is the current generation.
struct Marks {
  private var stamp: [UInt32]
  private var generation: UInt32 = 1
  init(_ n: Int) { stamp = [UInt32](repeating: 0, count: n) }
  mutating func clear() { generation += 1 }
  mutating func set(_ j: Int) { stamp[j] = generation }
  func contains(_ j: Int) -> Bool { stamp[j] == generation }
}

/// A row of the k-reciprocal encoding: the few points with a weight (in no particular order).
struct SparseRow {
  var columns: [Int]
  var weights: [Float]

  /// The mean of rows `rows` of `v` (the local query expansion), added up in row order in `sums` (all zero
  /// before and after), the columns found marked in `marks`.
  static func mean(_ rows: [Int], of v: [SparseRow], sums: inout [Float], marks: inout Marks) -> SparseRow {
    marks.clear()
    var columns = [Int]()
    for r in rows {
      for (c, w) in zip(v[r].columns, v[r].weights) {
        if !marks.contains(c) { marks.set(c); columns.append(c) }
        sums[c] += w
      }
    }
    let scale = 1 / Float(rows.count)
    let weights = columns.map { c -> Float in
      defer { sums[c] = 0 }
      return sums[c] * scale
    }
    return SparseRow(columns: columns, weights: weights)
  }
}
