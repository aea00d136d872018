// SearchError: why a search cannot be made, and whose fault it is (the server answers a bad
// query with 400, an unknown index or item with 404, a model that cannot read the query with 422).

public struct SearchError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable { case badQuery, notFound, unsupported }
  public let kind: Kind
  public let description: String

  public init(_ kind: Kind, _ description: String) {
    self.kind = kind
    self.description = description
  }
}
