// BalancePlanner: which label sets to generate so that every label's real + synthetic count
// reaches the target (by default the most frequent label's count, as in the seed study). It takes
// the label with the largest shortfall, draws one of the real training label sets that contain it
// (a combination that exists, never an invented one), counts it for all its labels, and repeats.

import Corpus
import Tensor

public struct BalancePlan: Sendable {
  /// The label sets to generate, one entry per synthetic pair.
  public var labelSets: [[Int]]
  public var target: Int
  /// Real counts and real + planned counts per label.
  public var realCounts: [Int], plannedCounts: [Int]

  /// Oversampling: for each planned label set, one of the pairs with that set (positions in
  /// `labels`, the label sets the plan was made from), drawn with the seed.
  public func copies(from labels: [[Int]], seed: UInt64) -> [Int] {
    var bySet = [[Int]: [Int]]()
    for (i, set) in labels.enumerated() { bySet[set.sorted(), default: []].append(i) }
    var g = RandomGenerator(seed: seed)
    return labelSets.map { set in bySet[set]![g.nextInt(below: bySet[set]!.count)] }
  }
}

public enum BalancePlanner {
  /// `limit` caps the number of synthetic pairs (the plan may then stop short of the target).
  public static func plan(_ labels: [[Int]], labelCount: Int, target: Int? = nil, limit: Int = 1_000_000, seed: UInt64 = 1) -> BalancePlan {
    let profile = LongTailProfile(labels, labelCount: labelCount)
    let goal = target ?? profile.labelCounts.max() ?? 0
    var counts = profile.labelCounts
    var containing = [[[Int]]](repeating: [], count: labelCount)
    for set in Set(labels.map { $0.sorted() }) { for l in set where l < labelCount { containing[l].append(set) } }
    for l in 0..<labelCount { containing[l].sort { $0.lexicographicallyPrecedes($1) } }
    var g = SplitGenerator(seed: seed)
    var planned = [[Int]]()
    while planned.count < limit {
      let candidates = (0..<labelCount).filter { counts[$0] < goal && !containing[$0].isEmpty }
      guard let neediest = candidates.max(by: { goal - counts[$0] < goal - counts[$1] }) else { break }
      let choices = containing[neediest]
      let set = choices[g.int(below: choices.count)]
      planned.append(set)
      for l in set { counts[l] += 1 }
    }
    return BalancePlan(labelSets: planned, target: goal, realCounts: profile.labelCounts, plannedCounts: counts)
  }
}
