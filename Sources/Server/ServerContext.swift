// ServerContext: the request context of `cmh serve` — hummingbird's basic one and the request's
// connection, so that an answer that ends the connection (408, 413, 403, broken framing) ends it
// soon: the HTTP layer would otherwise read the rest of an oversized or trickling body, and keep
// the socket, until its idle timeout.

import Hummingbird
import NIOCore

struct ServerContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  let channel: any Channel

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    channel = source.channel
  }

  /// Closes the connection `seconds` after the answer: time for the client to read it (closing
  /// with its unread upload at once would reset the connection, which can drop the answer in
  /// flight), none for the rest of a body that is refused anyway.
  func close(after seconds: Int64 = 2) {
    let channel = self.channel
    channel.eventLoop.scheduleTask(in: .seconds(seconds)) { channel.close(promise: nil) }
  }
}
