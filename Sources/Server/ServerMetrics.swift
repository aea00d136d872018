// ServerMetrics: request counts by endpoint and status, a latency histogram per endpoint, errors
// and requests in flight, in the Prometheus text format that `GET /metrics` serves.

import Foundation

final class ServerMetrics: @unchecked Sendable {
  static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  private let lock = NSLock()
  private var requests = [String: [Int: Int]]()  // endpoint → status → count
  private var histograms = [String: (counts: [Int], sum: Double, count: Int)]()
  private var inFlight = 0

  /// Counts a request in; false (and not counted) when `limit` are already in flight.
  func enter(limit: Int) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard inFlight < limit else { return false }
    inFlight += 1
    return true
  }

  func leave() {
    lock.lock()
    inFlight -= 1
    lock.unlock()
  }

  func record(endpoint: String, status: Int, seconds: Double) {
    lock.lock()
    defer { lock.unlock() }
    requests[endpoint, default: [:]][status, default: 0] += 1
    var h = histograms[endpoint] ?? (Array(repeating: 0, count: Self.buckets.count), 0, 0)
    for (i, bound) in Self.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
    h.sum += seconds
    h.count += 1
    histograms[endpoint] = h
  }

  /// The Prometheus exposition text.
  func text() -> String {
    lock.lock()
    defer { lock.unlock() }
    var out = "# HELP cmh_http_requests_total Requests answered, by endpoint and status.\n# TYPE cmh_http_requests_total counter\n"
    for (endpoint, statuses) in requests.sorted(by: { $0.key < $1.key }) {
      for (status, n) in statuses.sorted(by: { $0.key < $1.key }) { out += "cmh_http_requests_total{endpoint=\"\(endpoint)\",status=\"\(status)\"} \(n)\n" }
    }
    out += "# HELP cmh_http_errors_total Requests answered with a 4xx or 5xx status, by endpoint.\n# TYPE cmh_http_errors_total counter\n"
    for (endpoint, statuses) in requests.sorted(by: { $0.key < $1.key }) {
      out += "cmh_http_errors_total{endpoint=\"\(endpoint)\"} \(statuses.filter { $0.key >= 400 }.values.reduce(0, +))\n"
    }
    out += "# HELP cmh_http_request_duration_seconds Time to answer a request.\n# TYPE cmh_http_request_duration_seconds histogram\n"
    for (endpoint, h) in histograms.sorted(by: { $0.key < $1.key }) {
      for (bound, n) in zip(Self.buckets, h.counts) { out += "cmh_http_request_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"\(bound)\"} \(n)\n" }
      out += "cmh_http_request_duration_seconds_bucket{endpoint=\"\(endpoint)\",le=\"+Inf\"} \(h.count)\n"
      out += "cmh_http_request_duration_seconds_sum{endpoint=\"\(endpoint)\"} \(h.sum)\n"
      out += "cmh_http_request_duration_seconds_count{endpoint=\"\(endpoint)\"} \(h.count)\n"
    }
    out += "# HELP cmh_http_requests_in_flight Requests being answered now.\n# TYPE cmh_http_requests_in_flight gauge\ncmh_http_requests_in_flight \(inFlight)\n"
    return out
  }
}
