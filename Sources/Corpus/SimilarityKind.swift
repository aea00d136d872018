// SimilarityKind: how alike two label sets are, as a training target or a relevance grade — any
// shared label (0/1), or graded by the cosine or the Jaccard index of the sets. The measures
// themselves are computed where they are used (CauchyLoss's Similarity, Hashing's metrics).

public enum SimilarityKind: String, Codable, CaseIterable, Sendable {
  case any, cosine, jaccard
}
