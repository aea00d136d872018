// LimitsMiddleware: around every request — the request policy (other sites' pages, 405), the body
// read in full within its time budget, then the concurrency limit (503 at once when full; /health
// and /metrics outside it), the metrics, and a JSON body for every error. (The time limit of model
// work is kept where time is spent: see WorkQueue.)

import Dispatch
import Foundation
import Hummingbird

struct LimitsMiddleware: RouterMiddleware {
  typealias Context = ServerContext

  let metrics: ServerMetrics
  let limits: ServerLimits

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let started = DispatchTime.now().uptimeNanoseconds
    let response: Response
    let policy = RequestPolicy(allowedOrigins: limits.allowedOrigins), path = request.uri.path
    let refusal = policy.refusal(origin: request.headers[.origin], host: request.head.authority)
    var received: Request?, unread: (any Error)?
    if refusal == nil { do { received = try await read(request) } catch { unread = error } }
    if let refusal {
      response = try APIError(.forbidden, refusal, closing: true).response(from: request, context: context)
    } else if let unread {
      response = try APIError(unread).response(from: request, context: context)
    } else if let received, RequestPolicy.uncapped.contains(path) || metrics.enter(limit: limits.maxConcurrentRequests) {
      defer { if !RequestPolicy.uncapped.contains(path) { metrics.leave() } }
      do {
        response = try await answer(received, context: context, next: next)
      } catch {
        response = try APIError(error).response(from: request, context: context)
      }
    } else {
      response = try APIError(.serviceUnavailable, "the server is answering \(limits.maxConcurrentRequests) requests already; try again")
        .response(from: request, context: context)
    }
    if response.headers[.connection] == "close" { context.close() }
    let endpoint = context.endpointPath ?? "unknown"
    metrics.record(endpoint: endpoint, status: Int(response.status.code), seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    return response
  }

  /// The request with its body received in full (up to the upload cap) within the read budget: 408
  /// with the connection closed for a body that trickles past it, 413 over the cap, 400 for broken
  /// framing (a body short of its Content-Length, a bad chunk).
  private func read(_ request: Request) async throws -> Request {
    // A request without a body (every GET) has nothing to wait for: no task and no timer for it.
    guard request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.transferEncoding] != nil else { return request }
    let body = request.body, cap = limits.maxUploadBytes, seconds = limits.readSeconds
    let collecting = Task { () throws -> ByteBuffer in
      do { return try await body.collect(upTo: cap) } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
        throw APIError(.contentTooLarge, "the request body is over \(cap) bytes, the largest upload this server takes", closing: true)
      } catch {
        // Whatever else stops the body is the client's framing (or the deadline), not a server fault.
        throw APIError(.badRequest, "the request body could not be read: it ended early or its chunked framing is broken", closing: true)
      }
    }
    let late = APIError(.requestTimeout, "the request body did not arrive within \(seconds) seconds", closing: true)
    do {
      let buffer: ByteBuffer = try await WorkQueue.first(within: seconds, else: late) { reply in
        Task { reply(await collecting.result) }
      }
      return Request(head: request.head, body: RequestBody(buffer: buffer))
    } catch let e as APIError where e.status == .requestTimeout {
      // The body's stream must not be read by two at once: the HTTP layer reads it again after the
      // answer, so the collector is stopped, and waited for, first.
      collecting.cancel()
      _ = await collecting.result
      throw e
    }
  }

  /// A method a known path does not take gets 405 and the methods it takes (HEAD wherever GET is:
  /// the router answers HEAD on every GET route).
  private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let methods = RequestPolicy.methods(request.uri.path)
    if request.method == .head && methods.contains("GET") { return try await next(request, context) }
    if !methods.isEmpty && !methods.contains(request.method.rawValue) {
      var response = try APIError(.methodNotAllowed, "\(request.uri.path) takes \(methods.joined(separator: " and ")), not \(request.method.rawValue)")
        .response(from: request, context: context)
      response.headers[.allow] = (methods + (methods.contains("GET") ? ["HEAD"] : [])).joined(separator: ", ")
      return response
    }
    return try await next(request, context)
  }
}
