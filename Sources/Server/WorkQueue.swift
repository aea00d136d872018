// WorkQueue: a serial queue with a deadline: a request whose work has not finished in time is
// answered 503 at once, and the work's result, when it comes, is dropped. The server has two: the
// model's (the towers keep working buffers, and BLAS threads are shared) and the image decoder's,
// so that uploads being decoded never hold up text searches.

import Dispatch
import Foundation
import Search

final class WorkQueue: @unchecked Sendable {
  let queue: DispatchQueue
  let timeoutSeconds: Double

  init(label: String, timeoutSeconds: Double) {
    queue = DispatchQueue(label: label)
    self.timeoutSeconds = timeoutSeconds
  }

  /// `work` on the queue, its result or the timeout's error, whichever comes first.
  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withDeadline { reply in self.queue.async { reply(Result { try work() }) } }
  }

  /// Waits for `start` to call its reply once, or for the deadline.
  func withDeadline<T: Sendable>(_ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void) async throws -> T {
    let seconds = timeoutSeconds
    return try await Self.first(within: seconds, else: APIError(.serviceUnavailable, "no answer within \(seconds) seconds; the server is busy"), start)
  }

  /// What `start` replies, or `late` once `seconds` have passed, whichever comes first.
  static func first<T: Sendable>(within seconds: Double, else late: any Error,
                                 _ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> Void) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      let once = Once(continuation)
      DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { once.resume(.failure(late)) }
      start { once.resume($0) }
    }
  }

  /// A continuation resumed by whichever comes first.
  private final class Once<T>: @unchecked Sendable {
    private var continuation: CheckedContinuation<T, any Error>?
    private let lock = NSLock()
    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }
    func resume(_ result: Result<T, any Error>) {
      lock.lock()
      let c = continuation
      continuation = nil
      lock.unlock()
      c?.resume(with: result)
    }
  }
}
