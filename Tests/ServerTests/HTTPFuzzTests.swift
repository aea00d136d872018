// The HTTP fuzzer: requests made by mutating valid ones (bytes flipped, cut, repeated or inserted;
// methods, headers and framing changed) sent raw to a server in this process. The rules: the
// server never answers 500 to them (a client's mistake is 4xx), and after each batch /health
// answers 200 within a second. `make test` sends CMH_HTTP_FUZZ_REQUESTS = 300; `make fuzz`
// 100,000 (CMH_FUZZ_SEED picks another sequence).

import Foundation
import SearchFixture
import Server
import Tensor
import XCTest

final class HTTPFuzzTests: XCTestCase {
  static let requests = Int(ProcessInfo.processInfo.environment["CMH_HTTP_FUZZ_REQUESTS"] ?? "") ?? 300
  static let seed = UInt64(ProcessInfo.processInfo.environment["CMH_FUZZ_SEED"] ?? "") ?? 1

  /// Valid requests of every kind the server takes, to mutate.
  static func seeds(photo: Data) -> [Data] {
    let head = { (method: String, path: String, type: String?, body: Data) -> Data in
      var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
      if let type { text += "Content-Type: \(type)\r\n" }
      return Data((text + "\r\n").utf8) + body
    }
    let form = Data("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
      + photo + Data("\r\n--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n3\r\n--b--\r\n".utf8)
    return [
      head("POST", "/api/search/text", "application/json", Data(#"{"query": "a red circle", "k": 5, "rerank": "stored"}"#.utf8)),
      head("POST", "/api/search/image", "multipart/form-data; boundary=b", form),
      head("POST", "/api/search/image?k=2", "image/jpeg", photo),
      head("POST", "/api/search/image", "application/json", Data(#"{"id": "shape000001", "target": "image"}"#.utf8)),
      head("GET", "/api/item/shape000001", nil, Data()), head("GET", "/api/image/shape000001", nil, Data()),
      head("GET", "/health", nil, Data()), head("GET", "/metrics", nil, Data()), head("GET", "/", nil, Data()),
      Data("POST /api/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"query\": \"red\"}\r\n0\r\n\r\n".utf8),
    ]
  }

  static let pieces = ["\r\n", "\r\n\r\n", "--b", "Content-Length: 99999999\r\n", "Transfer-Encoding: chunked\r\n", "\u{301}", "%00",
                       "../", "\"", "{", "}", "0\r\n\r\n", "Content-Type: multipart/form-data; boundary=\r\n", "HEAD", "PUT", " ", "\0"]

  /// One mutation of `request`.
  static func mutate(_ request: Data, _ g: inout RandomGenerator) -> Data {
    var bytes = [UInt8](request)
    let pick = { (n: Int, g: inout RandomGenerator) in Int(g.next() % UInt64(max(n, 1))) }
    for _ in 0..<(1 + pick(4, &g)) {
      let at = pick(bytes.count + 1, &g)
      switch pick(6, &g) {
      case 0 where !bytes.isEmpty: bytes[min(at, bytes.count - 1)] ^= UInt8(1 << pick(8, &g))  // flip a bit
      case 1: bytes = Array(bytes.prefix(at))                                                    // cut
      case 2: bytes.insert(contentsOf: pieces[pick(pieces.count, &g)].utf8, at: at)                // insert a piece
      case 3: bytes.insert(contentsOf: (0..<pick(64, &g)).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: at)
      case 4 where at < bytes.count: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + pick(200, &g))], at: at)  // repeat a run
      default: if let space = bytes.firstIndex(of: 0x20) { bytes.replaceSubrange(0..<space, with: ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "X"][pick(7, &g)].utf8) }
      }
    }
    return Data(bytes)
  }

  func testMutatedRequestsNeverGet500AndHealthStays() throws {
    let files = try SearchFixture.files()
    let server = try ServerTests.start { $0.timeoutSeconds = 2; $0.readSeconds = 2 }
    defer { server.stop() }
    let photo = try Data(contentsOf: files.corpus.imageURL(files.corpus.pairs[3])!)
    let seeds = Self.seeds(photo: photo)
    var g = RandomGenerator(seed: Self.seed)
    var statuses = [Int: Int](), failures = [String]()
    // The baseline: the process with the server warmed up by valid requests of every kind.
    for _ in 0..<10 { for seed in seeds { _ = try? LoopbackClient(port: server.port).exchange(seed, endWriting: true, seconds: 5) } }
    let baseline = Self.residentBytes()
    for n in 0..<Self.requests {
      let request = Self.mutate(seeds[Int(g.next() % UInt64(seeds.count))], &g)
      // The client's side ends after the request, so a body cut short ends at once.
      if let reply = try? LoopbackClient(port: server.port).exchange(request, endWriting: true, seconds: 5) {
        statuses[reply.status, default: 0] += 1
        if reply.status >= 500 && reply.status != 503 && failures.count < 5 {
          failures.append("\(reply.status) \(reply.text.prefix(120)) for \(String(decoding: request.prefix(200), as: UTF8.self).debugDescription)")
        }
      } else {
        statuses[0, default: 0] += 1  // closed without a reply: the HTTP layer's answer to bytes that are not HTTP
      }
      if n % 50 == 49 || n == Self.requests - 1 {
        let started = Date()
        let health = try LoopbackClient(port: server.port).exchange(Data("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8), seconds: 1)
        XCTAssertEqual(health.status, 200, "after \(n + 1) requests")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "/health within a second after \(n + 1) requests")
      }
    }
    XCTAssertEqual(failures, [], "server errors for client mistakes")
    let long = Self.requests >= 10_000
    if long { sleep(3) }  // the connections the server closes a moment after their answer
    let after = Self.residentBytes()
    print("HTTP fuzz: \(Self.requests) requests (seed \(Self.seed)), replies by status (0: closed without one): \(statuses.sorted { $0.key < $1.key }); "
          + "resident memory \(baseline >> 20) MB before, \(after >> 20) MB after")
    // Over a long run (make fuzz) memory must come back to its baseline; a few hundred requests
    // are too few to tell a leak from the allocator's own growth.
    if long { XCTAssertLessThan(Double(after), 1.2 * Double(baseline), "resident memory did not return to its baseline") }
  }

  /// The process's resident memory (VmRSS), in bytes.
  static func residentBytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
  }
}
