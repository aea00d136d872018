// ServeBench: text searches per second and latency of the search server on loopback, over an
// image index grown to a million items, with the cmh client or wrk (`cmh bench serve`).

import Foundation
import Hashing
import Platform
import Search
import Server

public struct ServeBench {
  public enum Client: String, CaseIterable, Sendable { case cmh, wrk }
  public var model: String, index: String, items: Int, connections: [Int], requests: Int, seconds: Double, k: Int
  public var rerank: String?
  public var client: Client

  public init(model: String, index: String, items: Int, connections: [Int], requests: Int, seconds: Double, k: Int, rerank: String?, client: Client) {
    (self.model, self.index, self.items, self.connections, self.requests, self.seconds, self.k, self.rerank, self.client)
      = (model, index, items, connections, requests, seconds, k, rerank, client)
  }

  /// The figures as they are measured: encoding first, then one per connection count (`measured`).
  public func run(console: Console, measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    let counts = connections
    let encoder = try QueryEncoder(modelAt: model)
    let folder = URL(fileURLWithPath: index)
    let images = try IndexFile.verified(folder.appendingPathComponent("image.cmhindex")), texts = try IndexFile.verified(folder.appendingPathComponent("text.cmhindex"))
    try encoder.check(images, modality: .image)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-bench-serve-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let grown = work.appendingPathComponent("image.cmhindex")
    console.note("growing \(index)/image.cmhindex to \(items) items")
    try LoadTest.grow(images, to: items, seed: 1, modelFingerprint: encoder.galleryFingerprint, writingTo: grown)
    let sets = try IndexSets.open(["image=\(grown.path)"], encoder: encoder)
    let queries = (0..<min(texts.count, 2000)).map { texts.item($0).display }.filter { (try? encoder.encode(text: $0)) != nil }
    guard !queries.isEmpty else { throw BenchError("\(index)/text.cmhindex: no text the model can read, so no queries") }
    var results = encoding(encoder, queries)
    results.forEach(measured)
    let server = SearchServer(service: SearchService(encoder: encoder, sets: sets), port: 0)
    let running = try server.start()
    defer { running.stop() }
    let port = running.port
    for c in counts {
      let r = client == .wrk ? try WrkLoad.run(port: port, queries: queries, k: k, rerank: rerank, connections: c, seconds: seconds)
        : LoadTest.run(port: port, queries: queries, k: k, rerank: rerank, connections: c, requests: requests, seconds: seconds)
      let parameters: [(String, JSONLine.Value)] = [("connections", .int(c)), ("client", .string(client.rawValue)), ("rerank", .string("\(rerank ?? Ranking.defaultMethod.rawValue)")), ("items", .int(items)), ("bits", .int(images.bits)), ("k", .int(k)), ("requests", .int(r.requests)),
                        ("failed", .int(r.failed)), ("p50_ms", .number(r.p50 * 1000, places: 2)), ("p99_ms", .number(r.p99 * 1000, places: 2)),
                        ("max_ms", .number(r.maxLatency * 1000, places: 2))]
      results.append(BenchResult(name: "serve.text", unit: "requests/s", value: r.perSecond, parameters: parameters))
      measured(results.last!)
    }
    return results
  }

  /// Encoding text queries alone, in batches of 1 to 32 (what the server's batcher forms): ms a batch.
  private func encoding(_ encoder: QueryEncoder, _ queries: [String]) -> [BenchResult] {
    [1, 8, 16, 32].map { n in
      let batch = (0..<n).map { queries[$0 % queries.count] }
      let seconds = BenchTiming.median(repeats: 5) { _ = encoder.encode(texts: batch) }
      return BenchResult(name: "serve.encode_text", unit: "ms", value: seconds * 1000, parameters: [("batch", .int(n))])
    }
  }
}
