// HeaderDeadline: a connection must deliver a whole request head (request line and headers)
// within the read budget (`--read-timeout`), counted from when it opens and from the end of the
// answer to its previous request (not from the end of that request: model work has a limit of
// its own). Without it a client that trickles one header byte at a time is bounded only
// by the idle timeout, which each byte resets. The body has its own budget (LimitsMiddleware).

import NIOCore
import NIOHTTPTypes

final class HeaderDeadline: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  private let seconds: Double
  private var timer: Scheduled<Void>?

  init(seconds: Double) { self.seconds = seconds }

  func handlerAdded(context: ChannelHandlerContext) { start(context) }

  func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head = unwrapInboundIn(data) {
      timer?.cancel()
      timer = nil
    }
    context.fireChannelRead(data)
  }

  /// The answer is out: the next request's head gets a budget of its own.
  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if case .end = unwrapOutboundIn(data) { start(context) }
    context.write(data, promise: promise)
  }

  private func start(_ context: ChannelHandlerContext) {
    timer?.cancel()
    let channel = context.channel
    timer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { channel.close(promise: nil) }
  }
}
