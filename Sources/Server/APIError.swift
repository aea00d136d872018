// APIError: every failed request is answered with a JSON body {"error": "..."} and a status that
// says whose fault it was; errors from the library and from the HTTP layer are mapped here.

import Foundation
import Hummingbird
import Platform
import Search

struct APIError: HTTPResponseError {
  let status: HTTPResponse.Status
  let message: String
  /// The connection is closed after the answer (its request was not read to the end).
  var closing = false

  init(_ status: HTTPResponse.Status, _ message: String, closing: Bool = false) {
    self.status = status
    self.message = message
    self.closing = closing
  }

  /// The answer to any error a handler threw.
  init(_ error: any Error) {
    switch error {
    case let e as APIError: self = e
    case let e as SearchError:
      switch e.kind {
      case .badQuery: self.init(.badRequest, e.description)
      case .notFound: self.init(.notFound, e.description)
      case .unsupported: self.init(.unprocessableContent, e.description)
      }
    case let e as DecodingError: self.init(.badRequest, "malformed JSON request: \(Self.describe(e))")
    case let e as HTTPError: self.init(e.status, e.body ?? e.status.reasonPhrase)
    case let e as any HTTPResponseError: self.init(e.status, e.status.reasonPhrase)
    case is CancellationError: self.init(.serviceUnavailable, "the request was cancelled")
    default: self.init(.internalServerError, "\(error)")
    }
  }

  func response(from request: Request, context: some RequestContext) throws -> Response {
    let body = try JSON.encoder().encode(["error": message])
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    if closing { headers[.connection] = "close" }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): return "the field \"\(key.stringValue)\" is missing"
    case .typeMismatch(let type, let c): return "\(Self.path(c)) is not a \(type)"
    case .valueNotFound(let type, let c): return "\(Self.path(c)) is null, expected a \(type)"
    case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not a JSON object" : "\(Self.path(c)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
  }

  private static func path(_ context: DecodingError.Context) -> String {
    context.codingPath.isEmpty ? "the request" : "the field \"" + context.codingPath.map(\.stringValue).joined(separator: ".") + "\""
  }
}
