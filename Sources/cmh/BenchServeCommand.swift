// cmh bench serve: `cmh serve` under load on loopback — a model's image index grown to a million
// items, text queries from its text index's captions, at 1, 16 and 64 connections.

import ArgumentParser
import Foundation
import Hashing
import Platform
import Search
import Server

struct BenchServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Text searches per second and latency of the search server on loopback, over a grown index.",
    discussion: "Example (after `make demo`): cmh bench serve --model cmh-demo/model-64.cmh --index cmh-demo/index")

  @Option(help: "Model file.") var model: String
  @Option(help: "Folder with image.cmhindex and text.cmhindex from `cmh encode` (the texts are the queries).") var index: String
  @Option(help: "Items in the grown image index.") var items = 1_000_000
  @Option(help: "Connection counts, comma-separated.") var connections = "1,16,64"
  @Option(help: "Most requests per connection count (the cmh client; wrk is bounded by --seconds alone).") var requests = 20_000
  @Option(help: "Most seconds per connection count.") var seconds = 20.0
  @Option(name: [.short, .long], parsing: .unconditional, help: "Results per search.") var k = 20
  @Option(help: "Order of the results: none (Hamming), asymmetric, stored, qe or kreciprocal (default: the server's, stored).") var rerank: String?
  @Option(help: "The load's client: cmh (threads of this process) or wrk (Debian's wrk, one thread in C, so more of the cores serve). (default: cmh)")
  var client = "cmh"
  @OptionGroup var output: OutputOptions

  func run() throws {
    MachineReport.printHeader(json: output.json)
    if let rerank, RerankMethod(rawValue: rerank) == nil {
      throw ValidationError("--rerank \(rerank): expected one of \(RerankMethod.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard ["cmh", "wrk"].contains(client) else { throw ValidationError("--client \(client): expected cmh or wrk") }
    let counts = connections.split(separator: ",").compactMap { Int($0) }
    guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }), items >= 1 else { throw ValidationError("--connections: positive whole numbers, comma-separated; --items at least 1") }
    let encoder = try QueryEncoder(modelAt: model)
    let folder = URL(fileURLWithPath: index)
    let images = try IndexFile.verified(folder.appendingPathComponent("image.cmhindex")), texts = try IndexFile.verified(folder.appendingPathComponent("text.cmhindex"))
    try encoder.check(images, modality: .image)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-bench-serve-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let grown = work.appendingPathComponent("image.cmhindex")
    if !output.quiet { FileHandle.standardError.write(Data("growing \(index)/image.cmhindex to \(items) items\n".utf8)) }
    try LoadTest.grow(images, to: items, seed: 1, modelFingerprint: encoder.galleryFingerprint, writingTo: grown)
    let sets = try IndexSets.open(["image=\(grown.path)"], encoder: encoder)
    let queries = (0..<min(texts.count, 2000)).map { texts.item($0).display }.filter { (try? encoder.encode(text: $0)) != nil }
    guard !queries.isEmpty else { throw CommandError("\(index)/text.cmhindex: no text the model can read, so no queries") }
    var results = encoding(encoder, queries)
    if !output.json && !output.quiet { BenchTiming.report(results, json: false) }
    let server = SearchServer(service: SearchService(encoder: encoder, sets: sets), port: 0)
    let running = try server.start()
    defer { running.stop() }
    let port = running.port
    for c in counts {
      let r = client == "wrk" ? try WrkLoad.run(port: port, queries: queries, k: k, rerank: rerank, connections: c, seconds: seconds)
        : LoadTest.run(port: port, queries: queries, k: k, rerank: rerank, connections: c, requests: requests, seconds: seconds)
      let parameters: [(String, JSONLine.Value)] = [("connections", .int(c)), ("client", .string(client)), ("rerank", .string("\(rerank ?? Ranking.defaultMethod.rawValue)")), ("items", .int(items)), ("bits", .int(images.bits)), ("k", .int(k)), ("requests", .int(r.requests)),
                        ("failed", .int(r.failed)), ("p50_ms", .number(r.p50 * 1000, places: 2)), ("p99_ms", .number(r.p99 * 1000, places: 2)),
                        ("max_ms", .number(r.maxLatency * 1000, places: 2))]
      results.append(BenchResult(name: "serve.text", unit: "requests/s", value: r.perSecond, parameters: parameters))
      if !output.json && !output.quiet { BenchTiming.report([results.last!], json: false) }
    }
    if output.json { BenchTiming.report(results, json: true) }
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
