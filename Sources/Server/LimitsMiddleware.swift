// LimitsMiddleware: around every request — the concurrency limit (503 at once when full), the
// metrics, and a JSON body for every error. (The time limit is kept where time is spent: see
// ModelQueue.)

import Dispatch
import Foundation
import Hummingbird

struct LimitsMiddleware<Context: RequestContext>: RouterMiddleware {
  let metrics: ServerMetrics
  let limits: ServerLimits

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    let started = DispatchTime.now().uptimeNanoseconds
    let response: Response
    if metrics.enter(limit: limits.maxConcurrentRequests) {
      defer { metrics.leave() }
      do {
        response = try await next(request, context)
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
}
