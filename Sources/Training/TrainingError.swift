// TrainingError: a problem with the corpus, the model file or the options of a run, said in words
// that name the file and what was expected.

public struct TrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}
