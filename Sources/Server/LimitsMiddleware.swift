// LimitsMiddleware: around every request — the request policy (other sites' pages, 405),
// the concurrency limit (503 at once when full; /health and /metrics outside it), the metrics, and
// a JSON body for every error. (The time limit is kept where time is spent: see WorkQueue.)

import Dispatch
import Foundation
import Hummingbird

struct LimitsMiddleware<Context: RequestContext>: RouterMiddleware {
  let metrics: ServerMetrics
  let limits: ServerLimits

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let started = DispatchTime.now().uptimeNanoseconds
    let response: Response
    let policy = RequestPolicy(allowedOrigins: limits.allowedOrigins), path = request.uri.path
    if let refusal = policy.refusal(origin: request.headers[.origin], host: request.head.authority) {
      response = try APIError(.forbidden, refusal).response(from: request, context: context)
    } else if RequestPolicy.uncapped.contains(path) || metrics.enter(limit: limits.maxConcurrentRequests) {
      defer { if !RequestPolicy.uncapped.contains(path) { metrics.leave() } }
      do {
        response = try await answer(request, context: context, next: next)
      } catch {
        response = try APIError(error).response(from: request, context: context)
      }
    } else {
      response = try APIError(.serviceUnavailable, "the server is answering \(limits.maxConcurrentRequests) requests already; try again")
        .response(from: request, context: context)
    }
    let endpoint = context.endpointPath ?? "unknown"
    metrics.record(endpoint: endpoint, status: Int(response.status.code), seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    return response
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
