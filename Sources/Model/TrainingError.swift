// TrainingError: a problem with the corpus, the model file or the options of a run, said in words
// that name the file and what was expected.

public struct TrainingError: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}

/// An image of the corpus that could not be decoded while a run was reading it.
public struct UnreadableImage: Error, CustomStringConvertible {
  public let description: String
  public init(description: String) { self.description = description }
}
