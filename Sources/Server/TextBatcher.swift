// TextBatcher: text queries that arrive together are encoded together. The text tower's weights
// (tens of megabytes) then travel through memory once per batch instead of once per query, which
// is what lets one process answer thousands of text searches a second. No query waits for a
// timer: while a batch is being encoded, the next one gathers.

import Dispatch
import Foundation
import Search

final class TextBatcher: @unchecked Sendable {
  private let encoder: QueryEncoder
  private let model: WorkQueue
  private let lock = NSLock()
  private var waiting = [(text: String, reply: @Sendable (Result<QueryEncoder.EncodedText, any Error>) -> Void)]()
  private var draining = false
  private let largestBatch = 64

  init(encoder: QueryEncoder, model: WorkQueue) {
    self.encoder = encoder
    self.model = model
  }

  func encode(_ text: String) async throws -> QueryEncoder.EncodedText {
    try await model.withDeadline { reply in
      lock.lock()
      waiting.append((text, reply))
      let start = !draining
      draining = true
      lock.unlock()
      if start { model.queue.async { self.drain() } }
    }
  }

  private func drain() {
    while true {
      lock.lock()
      let batch = Array(waiting.prefix(largestBatch))
      waiting.removeFirst(batch.count)
      if batch.isEmpty { draining = false }
      lock.unlock()
      guard !batch.isEmpty else { return }
      for (request, result) in zip(batch, encoder.encode(texts: batch.map(\.text))) { request.reply(result.mapError { $0 as any Error }) }
    }
  }
}
