// SearchBench: top-k and radius search over a million codes, re-ranking, index opening and MAP@all
// at the standard protocol's size, as queries (or evaluations) per second (`cmh bench search`).

import Foundation
import Hashing
import Platform
import Tensor

public struct SearchBench {
  public var database: Int, queries: Int, k: Int, repeats: Int

  public init(database: Int = 1_000_000, queries: Int = 1000, k: Int = 100, repeats: Int = 3) {
    (self.database, self.queries, self.k, self.repeats) = (database, queries, k, repeats)
  }

  public func run(measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    var results = [BenchResult]()
    var random = RandomGenerator(seed: 1)
    for bits in [64, 128] {
      let codes = BinaryCodes(words: (0..<(database * bits / 64)).map { _ in random.next() }, bits: bits)
      let query = BinaryCodes(words: (0..<(queries * bits / 64)).map { _ in random.next() }, bits: bits)
      for threads in [1, 2] {
        let base: [(String, JSONLine.Value)] = [("n", .int(database)), ("bits", .int(bits)), ("k", .int(k)), ("threads", .int(threads))]
        let batched = BenchTiming.times(repeats: repeats) { _ = HammingSearch.topK(query, in: codes, k: k, threads: threads) }
        results.append(BenchResult(rate: "search.topk.batched", unit: "queries/s", items: queries, seconds: batched, parameters: base))
        let singles = min(queries, 200)
        let single = BenchTiming.times(repeats: repeats) {
          for q in 0..<singles { _ = HammingSearch.topK(query.subset([q]), in: codes, k: k, threads: threads) }
        }
        results.append(BenchResult(rate: "search.topk.single", unit: "queries/s", items: singles, seconds: single, parameters: base))
        measured(results.last!)
      }
    }
    results += reranking(&random, measured: measured)
    for bits in [64, 32] { results += try indexOpening(&random, bits: bits) }
    results += radiusSearch(&random, measured: measured)
    results += meanAveragePrecision(&random)
    return results
  }

  /// Two-stage search over a million 64-bit codes with stored outputs: the nearest 1,000 codes
  /// re-ranked, the best k kept; one query at a time and batched, beside plain top-k in the same
  /// run; and k-reciprocal re-ranking of 1,000 candidates alone, on one thread.
  private func reranking(_ random: inout RandomGenerator, measured: (BenchResult) -> Void) -> [BenchResult] {
    let bits = 64, settings = RerankSettings(candidates: 1000)
    let gaussian = { (r: inout RandomGenerator) -> Float in Float(r.next() % 2001) / 1000 - 1 }
    let values = (0..<(database * bits)).map { _ in gaussian(&random) }
    let codes = values.withUnsafeBufferPointer { BinaryCodes(signs: $0.baseAddress!, count: database, bits: bits) }
    let stored = values.withUnsafeBufferPointer { StoredOutputs(quantizing: $0.baseAddress!, count: database, dimension: bits) }
    let outputs = (0..<(queries * bits)).map { _ in gaussian(&random) }
    let query = outputs.withUnsafeBufferPointer { BinaryCodes(signs: $0.baseAddress!, count: queries, bits: bits) }
    var results = [BenchResult]()
    for threads in [1, 2] {
      let base: [(String, JSONLine.Value)] = [("n", .int(database)), ("bits", .int(bits)), ("k", .int(k)), ("candidates", .int(settings.candidates)), ("threads", .int(threads))]
      let singles = min(queries, 200)
      // "none" is plain top-k through the same call: the figure the others are held against.
      for method in [RerankMethod.none, .stored, .asymmetric, .qe] {
        let single = BenchTiming.times(repeats: repeats) {
          for q in 0..<singles {
            _ = Reranker.search(query.subset([q]), outputs: Array(outputs[q * bits..<(q + 1) * bits]), in: codes, stored: stored, k: k,
                                method: method, settings: settings, threads: threads)
          }
        }
        results.append(BenchResult(rate: "search.rerank.\(method).single", unit: "queries/s", items: singles, seconds: single, parameters: base))
        let batched = BenchTiming.times(repeats: repeats) {
          _ = Reranker.search(query, outputs: outputs, in: codes, stored: stored, k: k, method: method, settings: settings, threads: threads)
        }
        results.append(BenchResult(rate: "search.rerank.\(method).batched", unit: "queries/s", items: queries, seconds: batched, parameters: base))
        measured(results.last!)
      }
    }
    let candidates = HammingSearch.topK(query.subset(Array(0..<20)), in: codes, k: settings.candidates, threads: 1)
    let seconds = BenchTiming.median(repeats: repeats) {
      for (q, hits) in candidates.enumerated() {
        _ = Reranker.rerank(hits, query: Array(outputs[q * bits..<(q + 1) * bits]), codes: codes, outputs: stored, method: .kreciprocal, settings: settings)
      }
    }
    results.append(BenchResult(name: "rerank.kreciprocal", unit: "ms", value: seconds * 1000 / Double(candidates.count),
                               parameters: [("candidates", .int(settings.candidates)), ("bits", .int(bits)), ("threads", .int(1))]))
    return results
  }

  /// Radius 2 by scan and by multi-index hashing, on two databases: uniform random codes queried
  /// by database codes with two bits flipped (as the FAISS reference in ../shared/bench does), and
  /// clustered codes (500 centres, each code up to 5 bits off its centre: hundreds of results).
  private func radiusSearch(_ random: inout RandomGenerator, measured: (BenchResult) -> Void) -> [BenchResult] {
    var results = [BenchResult]()
    let uniform = (0..<database).map { _ in random.next() }
    let nearUniform = (0..<queries).map { _ in uniform[Int(random.next() % UInt64(database))] ^ (1 << (random.next() % 32)) ^ (1 << (32 + random.next() % 32)) }
    let centres = (0..<500).map { _ in random.next() }
    let noisy = { (r: inout RandomGenerator) -> UInt64 in
      var code = centres[Int(r.next() % 500)]
      for _ in 0..<Int(r.next() % 6) { code ^= 1 << (r.next() % 64) }
      return code
    }
    let clustered = (0..<database).map { _ in noisy(&random) }
    let nearClustered = (0..<queries).map { _ in noisy(&random) }
    for (name, db, qs) in [("uniform", uniform, nearUniform), ("clustered", clustered, nearClustered)] {
      let index = HammingIndex(BinaryCodes(words: db, bits: 64)), query = BinaryCodes(words: qs, bits: 64)
      _ = index.multiIndexTables
      let found = index.radius(query, radius: 2, strategy: .scan).reduce(0) { $0 + $1.count }
      for strategy in [HammingIndex.Strategy.scan, .multiIndex] {
        for threads in [1, 2] {
          let seconds = BenchTiming.median(repeats: repeats) { _ = index.radius(query, radius: 2, strategy: strategy, threads: threads) }
          results.append(BenchResult(name: "search.radius2.\(strategy.rawValue)", unit: "queries/s", value: Double(queries) / seconds,
                                     parameters: [("n", .int(database)), ("bits", .int(64)), ("threads", .int(threads)), ("codes", .string(name)),
                                                  ("mean_results", .number(Double(found) / Double(queries), places: 1))]))
          measured(results.last!)
        }
      }
    }
    return results
  }

  /// Opening an index file of `database` codes (with an id and a path per item): 64-bit codes are
  /// mapped, not read, so this takes microseconds whatever the size; codes shorter than their
  /// words are read once, to check that the bits past their length are clear. Then the CRC-32 of
  /// the body, which commands check once before they use an index.
  private func indexOpening(_ random: inout RandomGenerator, bits: Int) throws -> [BenchResult] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-bench-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("images.cmhindex")
    let codes = BinaryCodes(words: (0..<database).map { _ in random.next() }, bits: bits)
    let items = (0..<database).map { IndexItem(id: "\($0)", display: "photos/\($0).jpg") }
    try IndexFile.write(codes: codes, modality: .image, items: items, to: url)
    var opened = 0
    let seconds = BenchTiming.median(repeats: max(5, repeats)) { opened = (try? IndexFile(contentsOf: url))?.count ?? -1 }
    guard opened == database else { throw BenchError("bench search: the index written to \(url.path) did not open with \(database) items") }
    let index = try IndexFile(contentsOf: url)
    var verified = false
    let verifying = BenchTiming.median(repeats: max(5, repeats)) { verified = (try? index.verify()) != nil }
    guard verified else { throw BenchError("bench search: the index written to \(url.path) failed its checksum") }
    return [BenchResult(name: "index.open", unit: "µs", value: seconds * 1e6, parameters: [("n", .int(database)), ("bits", .int(bits))]),
            BenchResult(name: "index.verify", unit: "ms", value: verifying * 1e3, parameters: [("n", .int(database)), ("bits", .int(bits))])]
  }

  /// MAP@all for 2,000 queries over 18,015 items at 64 bits with 24 labels (the standard protocol's size).
  private func meanAveragePrecision(_ random: inout RandomGenerator) -> [BenchResult] {
    let (nq, nd) = (2000, 18015)
    let codes = BinaryCodes(words: (0..<nd).map { _ in random.next() }, bits: 64)
    let query = BinaryCodes(words: (0..<nq).map { _ in random.next() }, bits: 64)
    let labels = { (n: Int, r: inout RandomGenerator) in LabelSets((0..<n).map { _ in (0..<24).filter { _ in r.next() % 8 == 0 } }, labelCount: 24) }
    let ql = labels(nq, &random), dl = labels(nd, &random)
    return [1, 2].map { threads in
      let seconds = BenchTiming.median(repeats: repeats) {
        _ = RetrievalMetrics.evaluate(queries: query, queryLabels: ql, database: codes, databaseLabels: dl, threads: threads)
      }
      return BenchResult(name: "map_at_all", unit: "ms", value: seconds * 1000,
                         parameters: [("queries", .int(nq)), ("retrieval", .int(nd)), ("bits", .int(64)), ("threads", .int(threads))])
    }
  }
}
