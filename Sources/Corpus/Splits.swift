// Splits: the query, retrieval and training sets as pair indices; split files hold one pair id a line.

import Foundation
import Platform

public struct Splits: Equatable, Sendable {
  public var query: [Int]
  public var retrieval: [Int]
  public var train: [Int]

  public init(query: [Int], retrieval: [Int], train: [Int]) {
    self.query = query
    self.retrieval = retrieval
    self.train = train
  }

  public static let names = ["query", "retrieval", "train"]

  /// The standard protocol (DCMH): `queries` random real pairs as queries, every other real pair
  /// for retrieval, and `train` pairs drawn from the retrieval set, plus every synthetic pair for
  /// training only. Seeded: the same seed gives the same split.
  public static func protocolSplit(_ pairs: [Pair], queries: Int, train: Int, seed: UInt64) throws -> Splits {
    let real = pairs.indices.filter { !pairs[$0].synthetic }
    guard queries < real.count else {
      throw CorpusError("splits", "\(queries) queries need more than \(real.count) real pairs; pass a smaller --query")
    }
    var generator = SplitGenerator(seed: seed)
    let order = generator.shuffled(real)
    let query = Array(order.prefix(queries)).sorted()
    let retrieval = Array(order.dropFirst(queries)).sorted()
    let trainCount = min(train, retrieval.count)
    let training = Array(generator.shuffled(retrieval).prefix(trainCount)).sorted()
    let synthetic = pairs.indices.filter { pairs[$0].synthetic }
    return Splits(query: query, retrieval: retrieval, train: (training + synthetic).sorted())
  }

  /// Queries and training sizes of the DCMH protocol for a corpus of this many pairs: 2,000 queries
  /// (2,100 and 10,500 training pairs for NUS-WIDE's 195,834; 5,000 for COCO-sized corpora) and
  /// 10,000 training pairs, scaled down for small corpora.
  public static func protocolSizes(realPairs n: Int) -> (queries: Int, train: Int) {
    if n == 195_834 { return (2100, 10_500) }
    if n >= 100_000 { return (5000, 10_000) }
    if n >= 12_000 { return (2000, 10_000) }
    return (max(1, n / 10), max(1, n * 5 / 10))
  }

  // MARK: Files

  func write(to directory: URL, ids: [String]) throws {
    let folder = directory.appendingPathComponent("splits")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, indices) in zip(Self.names, [query, retrieval, train]) {
      let text = indices.map { ids[$0] }.joined(separator: "\n") + (indices.isEmpty ? "" : "\n")
      let url = folder.appendingPathComponent("\(name).txt")
      do { try AtomicFile.write(text, to: url) } catch let error as FileError { throw CorpusError(url.path, error.problem) }
    }
  }

  static func read(from directory: URL, index: [String: Int]) throws -> Splits? {
    let folder = directory.appendingPathComponent("splits")
    guard FileManager.default.fileExists(atPath: folder.path) else { return nil }
    var sets = [[Int]]()
    for name in names {
      let url = folder.appendingPathComponent("\(name).txt")
      guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw CorpusError(url.path, "missing or unreadable split file") }
      var indices = [Int]()
      for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let id = line.trimmingCharacters(in: .whitespaces)
        if id.isEmpty { continue }
        guard let i = index[id] else { throw CorpusError(url.path, line: n + 1, "pair id \"\(id)\" is not in pairs.jsonl") }
        indices.append(i)
      }
      sets.append(indices)
    }
    return Splits(query: sets[0], retrieval: sets[1], train: sets[2])
  }
}

/// SplitMix64 for splits and other seeded choices over a corpus (the corpus module needs no engine
/// to shuffle): the same seed gives the same numbers on every machine.
public struct SplitGenerator {
  var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  public mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
  public mutating func shuffled<T>(_ items: [T]) -> [T] {
    var a = items
    for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(below: i + 1)) }
    return a
  }
}

extension Corpus {
  /// The corpus's splits, or an error that says how to make them.
  public func requireSplits() throws -> Splits {
    guard let splits else { throw CorpusError(directory.path, "no splits/ folder; make one with `cmh corpus split \(directory.path)`") }
    return splits
  }

  /// Splits the real pairs by the standard protocol (DESIGN.md): `queries` and `train` default to
  /// the protocol's sizes for the corpus's size.
  public mutating func splitByProtocol(seed: UInt64, queries: Int? = nil, train: Int? = nil) throws {
    let sizes = Splits.protocolSizes(realPairs: pairs.filter { !$0.synthetic }.count)
    splits = try Splits.protocolSplit(pairs, queries: queries ?? sizes.queries, train: train ?? sizes.train, seed: seed)
  }
}
