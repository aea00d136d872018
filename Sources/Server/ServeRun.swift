// ServeRun: `cmh serve` from a synchronous caller — the model and its index sets opened, the
// server run until a signal stops it (requests in flight finish first), and where it listens said.

import Dispatch
import Foundation
import Platform
import Search

extension SearchServer {
  /// Opens the model at `model` and the index sets `index` (FOLDER, NAME=FOLDER, NAME=FILE) and
  /// serves them until Ctrl-C or SIGTERM, saying where it listens.
  public static func serve(model: String, index: [String], force: Bool, limits: ServerLimits, host: String, port: Int, console output: Console) throws {
    let encoder = try QueryEncoder(modelAt: model)
    let sets = try IndexSets.open(index.map { $0.contains("=") ? $0 : "default=\($0)" }, encoder: encoder, force: force)
    let server = SearchServer(service: SearchService(encoder: encoder, sets: sets, limits: limits), host: host, port: port)
    let (json, quiet) = (output.json, output.quiet)
    let summary = sets.keys.sorted().map { name in "\(name) (" + sets[name]!.modalities.map { "\((try? sets[name]!.file($0).count) ?? 0) \($0)s" }.joined(separator: ", ") + ")" }
    try blocking {
      try await server.run { port in
        if json {
          output.result(JSONLine([("event", .string("listening")), ("url", .string("http://\(host):\(port)/")), ("port", .int(port))]).text)
        } else if !quiet {
          output.result("cmh serve: \(model), index sets \(summary.joined(separator: "; "))")
          output.result("listening on http://\(host):\(port)/ — Ctrl-C stops (requests in flight finish first)")
        }
      }
    }
    if !quiet && !json { output.result("cmh serve: stopped") }
  }

  /// Runs async work from this synchronous command and waits for it.
  private static func blocking(_ work: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome(), done = DispatchSemaphore(value: 0)
    Task {
      do { try await work() } catch { outcome.error = error }
      done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
  }
}
