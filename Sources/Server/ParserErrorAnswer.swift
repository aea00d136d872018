// ParserErrorAnswer: bytes that are not an HTTP request (a bad request line, a broken header) are
// answered, like every other error of the API, with a JSON body, and counted in /metrics. The HTTP
// layer answers them itself, with a bare 400 and the connection closed; this handler, after the
// HTTP decoder, gives that answer its body.

import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Platform

final class ParserErrorAnswer: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  private let metrics: ServerMetrics
  private var parserError: HTTPParserError?

  init(metrics: ServerMetrics) { self.metrics = metrics }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if let error = error as? HTTPParserError { parserError = error }
    context.fireErrorCaught(error)
  }

  /// Only the HTTP layer's own answer is changed: a bare 400 right after the error. A body that
  /// breaks its framing is answered by the API first (LimitsMiddleware), which ends the matter.
  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    guard let error = parserError, case .head(var head) = unwrapOutboundIn(data) else {
      context.write(data, promise: promise)
      return
    }
    parserError = nil
    guard head.status == .badRequest, head.headerFields[.contentLength] == "0" else {
      context.write(data, promise: promise)
      return
    }
    let body = (try? JSON.encoder().encode(["error": "not an HTTP request the server can read (\(error))"])) ?? Data()
    head.headerFields[.contentType] = "application/json; charset=utf-8"
    head.headerFields[.contentLength] = String(body.count)
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: promise)
    metrics.record(endpoint: "unknown", status: 400, seconds: 0)
  }
}
