// ExperimentError: an experiment's input that cannot be used (reference figures, corpora), said
// with the file and what was expected.

public struct ExperimentError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
