// LoadTest: the server under load on loopback — an index grown to a million items from a real
// one, text queries drawn from real captions, a number of kept-alive connections each sending one
// request after another, bounded in requests and in time; throughput and latency percentiles.

import Dispatch
import Foundation
import Hashing
import Tensor

public enum LoadTest {
  public struct Report: Sendable {
    public let connections: Int
    public let requests: Int
    public let failed: Int
    public let seconds: Double
    public let p50: Double, p99: Double, maxLatency: Double
    public var perSecond: Double { Double(requests) / seconds }
  }

  /// `count` items written to `url`: the items of `source` repeated, each copy's code with 0–3
  /// random bits flipped (so that the copies form clusters as real codes do), ids made unique.
  public static func grow(_ source: IndexFile, to count: Int, seed: UInt64, modelFingerprint: UInt64, writingTo url: URL) throws {
    precondition(source.count > 0, "LoadTest.grow: an empty index")
    var random = RandomGenerator(seed: seed)
    let per = source.codes.wordsPerCode
    var words = [UInt64](repeating: 0, count: count * per)
    var items = [IndexItem]()
    items.reserveCapacity(count)
    var sources = [Int]()
    sources.reserveCapacity(count)
    for i in 0..<count {
      let s = i % source.count
      sources.append(s)
      for w in 0..<per { words[i * per + w] = source.codes.words[s * per + w] }
      for _ in 0..<Int(random.next() % 4) {
        let bit = Int(random.next() % UInt64(source.bits))
        words[i * per + bit / 64] ^= 1 << UInt64(bit % 64)
      }
      let item = source.item(s)
      items.append(IndexItem(id: String(format: "load%07d", i), display: item.display, labels: item.labels))
    }
    try IndexFile.write(codes: BinaryCodes(words: words, bits: source.bits), modality: source.modality, items: items,
                        outputs: source.outputs?.subset(sources), modelFingerprint: modelFingerprint, to: url)
  }

  /// Sends text searches from `connections` connections until `requests` are answered or `seconds`
  /// pass; each request takes the next of `queries`, in the order `rerank` names (nil: the server's default).
  public static func run(port: Int, path: String = "/api/search/text", queries: [String], k: Int, rerank: String? = nil, connections: Int, requests: Int,
                         seconds: Double) -> Report {
    final class Tally: @unchecked Sendable {
      let lock = NSLock()
      var latencies = [Double](), failed = 0, next = 0
    }
    let tally = Tally()
    let bodies = queries.map { query -> Data in
      var body: [String: Any] = ["query": query, "k": k]
      if let rerank { body["rerank"] = rerank }
      return try! JSONSerialization.data(withJSONObject: body)
    }
    let started = DispatchTime.now().uptimeNanoseconds, deadline = started + UInt64(seconds * 1e9)
    // One thread per connection (a dispatch queue would run only as many as there are cores).
    let finished = DispatchGroup()
    for _ in 0..<connections {
      finished.enter()
      Thread.detachNewThread {
        defer { finished.leave() }
        send()
      }
    }
    finished.wait()
    @Sendable func send() {
      let client = LoopbackClient(port: port)
      while DispatchTime.now().uptimeNanoseconds < deadline {
        tally.lock.lock()
        let n = tally.next
        tally.next += 1
        tally.lock.unlock()
        guard n < requests else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let status = (try? client.send("POST", path, body: bodies[n % bodies.count], headers: ["Content-Type": "application/json"]).status) ?? -1
        let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        tally.lock.lock()
        if status == 200 { tally.latencies.append(t) } else { tally.failed += 1 }
        tally.lock.unlock()
      }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    let sorted = tally.latencies.sorted()
    let at = { (p: Double) in sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    return Report(connections: connections, requests: sorted.count + tally.failed, failed: tally.failed, seconds: elapsed,
                  p50: at(0.5), p99: at(0.99), maxLatency: sorted.last ?? 0)
  }
}
