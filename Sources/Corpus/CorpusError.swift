// CorpusError: a problem with a corpus file, naming the file and, where known, the line or field.

public struct CorpusError: Error, CustomStringConvertible, Equatable {
  public let path: String
  public let line: Int?
  public let problem: String

  public init(_ path: String, line: Int? = nil, _ problem: String) {
    self.path = path
    self.line = line
    self.problem = problem
  }

  public var description: String { line.map { "\(path):\($0): \(problem)" } ?? "\(path): \(problem)" }
}
