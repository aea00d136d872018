// PublishedFigures: the MAP@all a paper printed for a benchmark under the standard protocol, shown
// beside a measured table only when a corpus matches that benchmark's protocol (its pair count,
// label count and query count), and never without the paper it comes from.

import Corpus

public struct PublishedFigures: Sendable {
  public var method: String
  public var citation: String
  public var benchmark: String
  /// MAP@all Image→Text and Text→Image by code length.
  public var map: [Int: (i2t: Double, t2i: Double)]

  static let dcmh = "Q.-Y. Jiang and W.-J. Li, \"Deep Cross-Modal Hashing\", CVPR 2017, Table 2"

  /// DCMH's published figures for the corpus, when it matches MIRFlickr-25K (20,015 pairs, 24
  /// labels) or IAPR TC-12 (20,000 pairs, 255 labels) with the protocol's 2,000 queries; nil
  /// otherwise. (NUS-WIDE's figures are not carried: no copy of the table to check them against.)
  public static func matching(pairs: Int, labels: Int, queries: Int) -> PublishedFigures? {
    guard queries == 2000 else { return nil }
    switch (pairs, labels) {
    case (20_015, 24):
      return PublishedFigures(method: "DCMH", citation: dcmh, benchmark: "MIRFlickr-25K",
                              map: [16: (0.7410, 0.7827), 32: (0.7465, 0.7900), 64: (0.7485, 0.7932)])
    case (20_000, 255):
      return PublishedFigures(method: "DCMH", citation: dcmh, benchmark: "IAPR TC-12",
                              map: [16: (0.4526, 0.5185), 32: (0.4732, 0.5378), 64: (0.4844, 0.5468)])
    default:
      return nil
    }
  }

  public static func matching(_ corpus: Corpus) -> PublishedFigures? {
    matching(pairs: corpus.pairs.filter { !$0.synthetic }.count, labels: corpus.info.labels.count, queries: corpus.splits?.query.count ?? 0)
  }
}
