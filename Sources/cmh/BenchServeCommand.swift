// cmh bench serve: `cmh serve` under load on loopback (Benchmarks/ServeBench).

import ArgumentParser
import Benchmarks
import Foundation
import Hashing
import Platform
import Search

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
    guard Ranking.named(rerank, settings: RerankSettings(), allowingAll: false) != nil else {
      throw ValidationError("--rerank \(rerank ?? ""): expected one of \(RerankMethod.allCases.map(\.rawValue).joined(separator: ", "))") }
    guard let client = ServeBench.Client(rawValue: client) else { throw ValidationError("--client \(client): expected cmh or wrk") }
    let counts = try CommaList.parse(connections, "--connections: positive whole numbers, comma-separated") { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
    guard items >= 1 else { throw ValidationError("--items must be at least 1") }
    let bench = ServeBench(model: model, index: index, items: items, connections: counts, requests: requests, seconds: seconds, k: k, rerank: rerank, client: client)
    let results = try bench.run(console: output.console) { if !output.json && !output.quiet { BenchTiming.report([$0], json: false) } }
    if output.json { BenchTiming.report(results, json: true) }
  }
}
