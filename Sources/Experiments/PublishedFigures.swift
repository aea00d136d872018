// PublishedFigures: the MAP@all a paper printed for a benchmark under the standard protocol, shown
// beside a measured table only when a corpus matches that benchmark's protocol (its pair count,
// label count and query count), and never without the paper it comes from.

import Corpus
import Model

public struct PublishedFigures: Sendable {
  public var method: String
  public var citation: String
  public var benchmark: String
  /// MAP@all Image→Text and Text→Image by code length.
  public var map: [Int: (i2t: Double, t2i: Double)]

  static let dcmh = "Q.-Y. Jiang and W.-J. Li, \"Deep Cross-Modal Hashing\", CVPR 2017, Table 3"

  /// A benchmark as DCMH's protocol fixes it, with DCMH's row of the paper's table.
  private struct Benchmark {
    var name: String, pairs: Int, labels: Int, queries: Int
    var map: [Int: (i2t: Double, t2i: Double)]
  }

  private static let benchmarks = [
    Benchmark(name: "MIRFlickr-25K", pairs: 20_015, labels: 24, queries: 2000,
              map: [16: (0.7410, 0.7827), 32: (0.7465, 0.7900), 64: (0.7485, 0.7932)]),
    Benchmark(name: "IAPR TC-12", pairs: 20_000, labels: 255, queries: 2000,
              map: [16: (0.4526, 0.5185), 32: (0.4732, 0.5378), 64: (0.4844, 0.5468)]),
    // The 195,834 pairs of NUS-WIDE's 21 most frequent concepts, 2,100 of them queries.
    Benchmark(name: "NUS-WIDE", pairs: 195_834, labels: 21, queries: 2100,
              map: [16: (0.5903, 0.6389), 32: (0.6031, 0.6511), 64: (0.6093, 0.6571)]),
  ]

  /// DCMH's published figures for a corpus whose pairs, labels and queries are those of
  /// MIRFlickr-25K, IAPR TC-12 or NUS-WIDE under the protocol; nil otherwise.
  public static func matching(pairs: Int, labels: Int, queries: Int) -> PublishedFigures? {
    guard let benchmark = benchmarks.first(where: { $0.pairs == pairs && $0.labels == labels && $0.queries == queries }) else { return nil }
    return PublishedFigures(method: "DCMH", citation: dcmh, benchmark: benchmark.name, map: benchmark.map)
  }

  /// A generated corpus gets none, whatever its shape: the paper measured the benchmark itself.
  public static func matching(_ corpus: Corpus) -> PublishedFigures? {
    guard !corpus.info.isGenerated else { return nil }
    return matching(pairs: corpus.pairs.filter { !$0.synthetic }.count, labels: corpus.info.labels.count, queries: corpus.splits?.query.count ?? 0)
  }
}
