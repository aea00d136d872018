// Tests of `cmh serve`'s server, started in this process on a free loopback port: every endpoint,
// each kind of bad request (answered 4xx with a JSON message, the server serving on), the limits,
// concurrent requests, and metrics.

import Corpus
import Foundation
import Hashing
import Search
import SearchFixture
import Server
import XCTest

final class ServerTests: XCTestCase {
  /// A server running in this process until `stop()`, on a free port.
  static func start(limits: ServerLimits = ServerLimits()) throws -> SearchServer.Background {
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let sets = try IndexSets.open(["default=\(files.indexFolder)", "images=\(files.indexFolder)/image.cmhindex"], encoder: encoder)
    return try SearchServer(service: SearchService(encoder: encoder, sets: sets, limits: limits), port: 0).start(timeoutSeconds: 30)
  }

  /// A server with the default limits as `configure` changes them.
  static func start(_ configure: (inout ServerLimits) -> Void) throws -> SearchServer.Background {
    var limits = ServerLimits()
    configure(&limits)
    return try start(limits: limits)
  }

  static var server: SearchServer.Background!

  override class func setUp() { server = try? start() }
  override class func tearDown() { server?.stop() }

  private func client() throws -> LoopbackClient { LoopbackClient(port: try XCTUnwrap(Self.server, "the server did not start").port) }

  private func object(_ reply: LoopbackClient.Reply, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: reply.body) as? [String: Any], reply.text, file: file, line: line)
  }

  func testTextSearchAnswersLikeTheLibrary() throws {
    let c = try client()
    let reply = try c.json("/api/search/text", ["query": "a red circle on the grass", "k": 7])
    XCTAssertEqual(reply.status, 200, reply.text)
    XCTAssertTrue(reply.headers["content-type"]?.hasPrefix("application/json") ?? false)
    let answer = try JSONDecoder().decode(SearchAnswer.self, from: reply.body)
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: files.indexFolder).appendingPathComponent("image.cmhindex"))
    let encoded = try encoder.encode(text: "a red circle on the grass")
    var expected = try Searcher.search(encoded, text: "a red circle on the grass", in: index, k: 7)
    expected.index = "default"
    XCTAssertEqual(answer, expected)
    XCTAssertEqual(answer.rerank, "stored")
    // "rerank": false and a method by name.
    let plain = try JSONDecoder().decode(SearchAnswer.self, from: try c.json("/api/search/text", ["query": "a red circle on the grass", "k": 7, "rerank": false]).body)
    var expectedPlain = try Searcher.search(encoded, text: "a red circle on the grass", in: index, k: 7, ranking: Ranking(.none))
    expectedPlain.index = "default"
    XCTAssertEqual(plain, expectedPlain)
    XCTAssertNil(plain.results[0].score)
    let qe = try JSONDecoder().decode(SearchAnswer.self, from: try c.json("/api/search/text", ["query": "a red circle on the grass", "k": 7, "rerank": "qe"]).body)
    XCTAssertEqual(qe.rerank, "qe")
    XCTAssertNotNil(qe.results[0].score)
    // Texts for a text query, from the named set.
    let texts = try JSONDecoder().decode(SearchAnswer.self, from: try c.json("/api/search/text", ["query": "blue star", "target": "text", "index": "default", "k": 3]).body)
    XCTAssertEqual(texts.target, "text")
    XCTAssertEqual(texts.results.count, 3)
    XCTAssertNotNil(texts.results[0].text)
  }

  func testImageSearchByUploadRawBodyAndItemId() throws {
    let c = try client(), files = try SearchFixture.files()
    let photo = try Data(contentsOf: files.corpus.imageURL(files.corpus.pairs[3])!)
    let boundary = "----cmhtest"
    var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n4\r\n".utf8)
    form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
    form += photo + Data("\r\n--\(boundary)--\r\n".utf8)
    let upload = try c.send("POST", "/api/search/image", body: form, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
    XCTAssertEqual(upload.status, 200, upload.text)
    let byUpload = try JSONDecoder().decode(SearchAnswer.self, from: upload.body)
    XCTAssertEqual(byUpload.results.count, 4)
    XCTAssertEqual(byUpload.query, .image("q.jpg"))
    let raw = try c.send("POST", "/api/search/image?k=4", body: photo, headers: ["Content-Type": "image/jpeg"])
    XCTAssertEqual(try JSONDecoder().decode(SearchAnswer.self, from: raw.body).results, byUpload.results)

    let item = try IndexFile(contentsOf: URL(fileURLWithPath: files.indexFolder).appendingPathComponent("image.cmhindex")).item(2)
    let id = item.id
    let byItem = try c.json("/api/search/image", ["id": id, "k": 5, "target": "image"])
    XCTAssertEqual(byItem.status, 200, byItem.text)
    let answer = try JSONDecoder().decode(SearchAnswer.self, from: byItem.body)
    var expected = SearchQuery.item(id)
    expected.labels = item.labels.sorted()  // the item's labels come with the query
    XCTAssertEqual(answer.query, expected)
    XCTAssertEqual(answer.results.first?.distance, 0, "an item is at distance 0 from itself")
    XCTAssertTrue(answer.results.contains { $0.id == id })
  }

  func testItemImageHealthPageAndMetrics() throws {
    let c = try client(), files = try SearchFixture.files()
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: files.indexFolder).appendingPathComponent("image.cmhindex"))
    let item = index.item(1)
    let described = try object(try c.send("GET", "/api/item/\(item.id)"))
    XCTAssertEqual(described["id"] as? String, item.id)
    XCTAssertEqual(described["image"] as? String, item.display)
    XCTAssertEqual(described["labels"] as? [String], item.labels)
    let image = try c.send("GET", "/api/image/\(item.id)?size=full")
    XCTAssertEqual(image.status, 200)
    XCTAssertEqual(image.body, try Data(contentsOf: URL(fileURLWithPath: item.display)))
    XCTAssertEqual(image.headers["content-type"], "image/jpeg")
    XCTAssertEqual(try c.send("GET", "/api/image/\(item.id)").status, 200)

    let health = try object(try c.send("GET", "/health"))
    XCTAssertEqual(health["status"] as? String, "ok")
    XCTAssertFalse((health["model"] as? String ?? "/").contains("/"), "the model's file name, not where it lives")
    XCTAssertEqual((health["index_sets"] as? [String: [String: Int]])?["default"]?["image"], index.count)
    let page = try c.send("GET", "/")
    XCTAssertEqual(page.status, 200)
    XCTAssertTrue(page.text.contains("<title>cmh search</title>") && !page.text.contains("http://") && !page.text.contains("https://"),
                  "one self-contained file, nothing fetched from elsewhere")
    _ = try c.json("/api/search/text", ["query": ""])
    let metrics = try c.send("GET", "/metrics").text
    XCTAssertTrue(metrics.contains("cmh_http_requests_total{endpoint=\"/api/item/{id}\",status=\"200\"}"), metrics)
    XCTAssertTrue(metrics.contains("cmh_http_request_duration_seconds_bucket{endpoint=\"/health\",le=\"+Inf\"}"), metrics)
    XCTAssertTrue(metrics.contains("cmh_http_errors_total{endpoint=\"/api/search/text\"}"), metrics)
  }

  func testThumbnailsOfLargePhotosAreScaledDownAndSmallOnesServedAsTheyAre() async throws {
    let files = try SearchFixture.files()
    let service = SearchService(encoder: try QueryEncoder(modelAt: files.model), sets: [:])
    let photo = files.folder.appendingPathComponent("large.jpg")
    var pixels = [UInt8](repeating: 90, count: 600 * 400 * 3)
    for i in 0..<(600 * 400) {
      pixels[3 * i] = UInt8(i % 251)
      pixels[3 * i + 1] = UInt8((i / 600) % 256)
    }
    try JPEG.encode(RGBImage(width: 600, height: 400, pixels: pixels)).write(to: photo)
    let (thumb, type) = try await service.thumbnail(photo)
    XCTAssertEqual(type, "image/jpeg")
    let small = try ImageFile.decode(thumb)
    XCTAssertEqual([small.width, small.height], [256, 171])
    let original = files.corpus.imageURL(files.corpus.pairs[0])!
    let (same, _) = try await service.thumbnail(original)
    XCTAssertEqual(same, try Data(contentsOf: original), "a small image is served as it is")
  }

  func testBadRequestsGetAJSONMessageAndTheServerServesOn() throws {
    let c = try client()
    let json = ["Content-Type": "application/json"]
    let cases: [(String, String, Data, [String: String], Int, String)] = [
      ("POST", "/api/search/text", Data("{\"query\": ".utf8), json, 400, "malformed JSON"),
      ("POST", "/api/search/text", Data("{\"k\": 3}".utf8), json, 400, "\"query\" is missing"),
      ("POST", "/api/search/text", Data("{\"query\": 5}".utf8), json, 400, "is not a String"),
      ("POST", "/api/search/text", Data("query=x".utf8), ["Content-Type": "application/x-www-form-urlencoded"], 415, "takes application/json"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\"}".utf8), ["Content-Type": "application/jsonfoo"], 415, "takes application/json"),
      ("POST", "/api/search/text", Data("{\"query\": \"qwerty\"}".utf8), json, 400, "none of the words"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"index\": \"nope\"}".utf8), json, 404, "no index set \"nope\""),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"k\": 100000}".utf8), json, 400, "k is 100000"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"k\": 0}".utf8), json, 400, "k is 0"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"target\": \"video\"}".utf8), json, 400, "not a modality"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"rerank\": \"bogus\"}".utf8), json, 400, "is not a re-ranking"),
      ("POST", "/api/search/text", Data("{\"query\": \"\(String(repeating: "red ", count: 400))\"}".utf8), json, 400, "at most 1000"),
      // One grapheme cluster of many combining marks was once one "character" of any length.
      ("POST", "/api/search/text", Data("{\"query\": \"red\(String(repeating: "\u{301}", count: 1_500))\"}".utf8), json, 400, "1503 characters; at most 1000"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\(String(repeating: "\u{301}", count: 100_000))\"}".utf8), json, 400, "bytes; at most 4000"),
      ("POST", "/api/search/text", Data("{\"query\": \"\(String(repeating: "red ", count: 150))\"}".utf8), json, 400, "150 words; at most 100"),
      ("POST", "/api/search/text", Data("{\"query\": \"red\", \"index\": \"images\", \"target\": \"text\"}".utf8), json, 404, "has no text index"),
      ("POST", "/api/search/image", Data("not an image".utf8), ["Content-Type": "image/jpeg"], 400, "not a"),
      ("POST", "/api/search/image", Data("x".utf8), ["Content-Type": "text/plain"], 415, "multipart/form-data"),
      ("POST", "/api/search/image", Data("--b\r\nbroken".utf8), ["Content-Type": "multipart/form-data; boundary=b"], 400, "malformed multipart"),
      // A part without header lines once trapped the server (an 18-byte request any web page can send).
      ("POST", "/api/search/image", Data("--b\r\n\r\nx\r\n--b--\r\n".utf8), ["Content-Type": "multipart/form-data; boundary=b"], 400, "no part named \"image\""),
      ("POST", "/api/search/image", Data("--b\r\n\r\n\r\n--b--".utf8), ["Content-Type": "multipart/form-data; boundary=b"], 400, "no part named \"image\""),
      ("POST", "/api/search/image", Data("{\"id\": \"../../etc/passwd\"}".utf8), json, 400, "not an item id"),
      ("POST", "/api/search/image", Data("{\"id\": \"nobody\"}".utf8), json, 404, "no item \"nobody\""),
      ("GET", "/api/image/..%2F..%2Fetc%2Fpasswd", Data(), [:], 400, "not an item id"),
      ("GET", "/api/image/nobody", Data(), [:], 404, "no item"),
      ("GET", "/api/item/nobody", Data(), [:], 404, "no item"),
      ("GET", "/no/such/page", Data(), [:], 404, "Not Found"),
    ]
    for (method, path, body, headers, status, words) in cases {
      let reply = try c.send(method, path, body: body, headers: headers)
      XCTAssertEqual(reply.status, status, "\(path) \(String(decoding: body.prefix(60), as: UTF8.self)): \(reply.text)")
      let message = (try? object(reply))?["error"] as? String ?? ""
      XCTAssertTrue(message.contains(words), "\(path): \(message)")
    }
    XCTAssertEqual(try c.json("/api/search/text", ["query": "red"]).status, 200, "still serving")
  }

  /// Broken body framing is the client's mistake: 400 with a JSON message, and the server serves on.
  func testBrokenFramingIsABadRequest() throws {
    let head = "POST /api/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    let cases: [(String, Bool)] = [
      (head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", false),          // a chunk size that is not hexadecimal
      (head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que0\r\n\r\n", false),           // a chunk without its CRLF
      (head + "Content-Length: 100\r\n\r\n{\"query\": \"red\"}", true),                   // shorter than its Content-Length
    ]
    for (request, endWriting) in cases {
      let reply = try LoopbackClient(port: try XCTUnwrap(Self.server).port).exchange(Data(request.utf8), endWriting: endWriting)
      XCTAssertEqual(reply.status, 400, "\(request.debugDescription): \(reply.text)")
      XCTAssertTrue(((try? object(reply))?["error"] as? String ?? "").contains("could not be read"), reply.text)
    }
    XCTAssertEqual(try client().json("/api/search/text", ["query": "red"]).status, 200, "still serving")
  }

  /// Pages of other sites may not call the API (a form any page can post); the server's own page
  /// and the origins it is told to allow may. HEAD is GET without the body; another method is 405.
  func testOriginsMethodsAndHead() throws {
    let server = try Self.start { $0.allowedOrigins = ["http://good.example"] }
    defer { server.stop() }
    let c = LoopbackClient(port: server.port), query = Data(#"{"query": "red"}"#.utf8)
    let post = { (origin: String) in try c.send("POST", "/api/search/text", body: query, headers: ["Content-Type": "application/json", "Origin": origin]) }
    let foreign = try post("http://evil.example")
    XCTAssertEqual(foreign.status, 403, foreign.text)
    XCTAssertTrue(((try? object(foreign))?["error"] as? String ?? "").contains("--allow-origin http://evil.example"), foreign.text)
    XCTAssertEqual(try post("null").status, 403)
    XCTAssertEqual(try post("http://good.example").status, 200)
    XCTAssertEqual(try post("http://127.0.0.1:\(server.port)").status, 200, "the server's own page")
    let head = try c.send("HEAD", "/health")
    XCTAssertEqual(head.status, 200)
    XCTAssertTrue(head.body.isEmpty)
    let wrong = try c.send("PUT", "/api/search/text", body: query, headers: ["Content-Type": "application/json"])
    XCTAssertEqual(wrong.status, 405, wrong.text)
    XCTAssertEqual(wrong.headers["allow"], "POST")
    let delete = try c.send("DELETE", "/api/item/shape000001")
    XCTAssertEqual(delete.status, 405, delete.text)
    XCTAssertEqual(delete.headers["allow"], "GET, HEAD")
    XCTAssertEqual(try c.send("GET", "/no/such/page").status, 404)
  }

  /// Connections that send headers and trickle a body hold no slot of the cap: with one slot and
  /// three such connections, a search is answered; each trickler gets 408 once the read budget is
  /// spent, and its connection is closed.
  func testTricklingBodiesHoldNoSlots() throws {
    let server = try Self.start { $0.maxConcurrentRequests = 1; $0.readSeconds = 1 }
    defer { server.stop() }
    let head = "POST /api/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query"
    let tricklers = (0..<3).map { _ in LoopbackClient(port: server.port) }
    for t in tricklers { try t.sendRaw(Data(head.utf8)) }
    XCTAssertEqual(try LoopbackClient(port: server.port).json("/api/search/text", ["query": "red"]).status, 200, "no slot is held by an unfinished body")
    let started = Date()
    for t in tricklers {
      let reply = try t.exchange(Data(), seconds: 5)
      XCTAssertEqual(reply.status, 408, reply.text)
      XCTAssertEqual(reply.headers["connection"], "close")
    }
    XCTAssertLessThan(Date().timeIntervalSince(started), 4)
  }

  /// Bytes the HTTP parser cannot read get a JSON 400 like every other error, counted in /metrics.
  func testWhatIsNotHTTPGetsAJSONAnswerAndIsCounted() throws {
    let server = try Self.start()
    defer { server.stop() }
    for garbage in ["THIS IS NOT HTTP\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n"] {
      let reply = try LoopbackClient(port: server.port).exchange(Data(garbage.utf8), seconds: 5)
      XCTAssertEqual(reply.status, 400, reply.text)
      XCTAssertEqual(reply.headers["content-type"], "application/json; charset=utf-8")
      let body = try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: String]
      XCTAssertTrue(body?["error"]?.contains("not an HTTP request") ?? false, reply.text)
    }
    let metrics = try LoopbackClient(port: server.port).send("GET", "/metrics").text
    XCTAssertTrue(metrics.contains("cmh_http_requests_total{endpoint=\"unknown\",status=\"400\"} 2"), metrics)
  }

  /// Headers that trickle in, a byte at a time well inside the idle timeout, are bounded by the
  /// read budget: the connection is closed once it is spent, and the server serves on.
  func testTricklingHeadersAreCutOffAtTheReadBudget() throws {
    let server = try Self.start { $0.readSeconds = 1 }
    defer { server.stop() }
    let slow = LoopbackClient(port: server.port)
    try slow.sendRaw(Data("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
    let started = Date()
    var cut = false
    for byte in "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 {
      usleep(100_000)
      do { try slow.sendRaw(Data([byte])) } catch { cut = true; break }
      if Date().timeIntervalSince(started) > 3 { break }
    }
    XCTAssertTrue(cut || slow.waitForClose(seconds: 1), "a request head trickled for 3 s was not cut off")
    XCTAssertLessThan(Date().timeIntervalSince(started), 3.5)
    XCTAssertEqual(try LoopbackClient(port: server.port).send("GET", "/health").status, 200)
  }

  func testUploadCapAndConcurrencyLimit() throws {
    let small = try Self.start { $0.maxUploadBytes = 1000; $0.maxConcurrentRequests = 1 }
    defer { small.stop() }
    let c = LoopbackClient(port: small.port)
    let big = try c.send("POST", "/api/search/image", body: Data(count: 5000), headers: ["Content-Type": "image/jpeg"])
    XCTAssertEqual(big.status, 413, big.text)
    XCTAssertTrue(big.text.contains("over 1000 bytes"), big.text)
    // An upload over the cap whose rest never comes: the 413 ends the connection at once (the HTTP
    // layer once read on, and kept the socket, until its 30 s idle timeout).
    let over = LoopbackClient(port: small.port)
    let started = Date()
    try over.sendRaw(Data("POST /api/search/image HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n".utf8)
                     + Data(count: 2000))
    XCTAssertTrue(over.waitForClose(seconds: 5), "the server keeps the connection of a refused upload open")
    XCTAssertLessThan(Date().timeIntervalSince(started), 4)
    // A small file of many pixels: refused by the pixel budget from its header (a 31 KB PNG of
    // 16,000² once stalled text searches while it was decoded on the model's queue).
    var jpeg = try JPEG.encode(RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 90, count: 192)))
    let frame = try XCTUnwrap(jpeg.range(of: Data([0xFF, 0xC0]))).lowerBound + 5
    jpeg.replaceSubrange(frame..<(frame + 4), with: [0x3E, 0x80, 0x3E, 0x80])  // 16,000 × 16,000 in the frame header
    let wide = try c.send("POST", "/api/search/image", body: jpeg, headers: ["Content-Type": "image/jpeg"])
    XCTAssertEqual(wide.status, 400, wide.text)
    XCTAssertTrue(wide.text.contains("16000x16000") && wide.text.contains("larger than 64 megapixels"), wide.text)
    // One request at a time: of many sent together, some are refused with 503, none fails otherwise.
    // /health is answered outside the cap, also while every slot is taken.
    let statuses = Statuses(), health = Statuses()
    onThreads(8) { t in
      let client = LoopbackClient(port: small.port)
      for _ in 0..<5 {
        if t == 0 { health.add((try? client.send("GET", "/health").status) ?? -1) }
        statuses.add((try? client.json("/api/search/text", ["query": "a red circle"]).status) ?? -1)
      }
    }
    XCTAssertEqual(Set(statuses.all).subtracting([200, 503]), [], "\(statuses.all)")
    XCTAssertTrue(statuses.all.contains(200))
    XCTAssertEqual(Set(health.all), [200], "\(health.all)")
  }

  func testAStalledUploadIsClosedAfterTheTimeLimit() throws {
    let server = try Self.start { $0.timeoutSeconds = 1 }
    defer { server.stop() }
    // Headers that promise 1,000 bytes, then 10 of them, then nothing.
    let client = LoopbackClient(port: server.port)
    try client.sendRaw(Data("POST /api/search/image HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n0123456789".utf8))
    let started = Date()
    XCTAssertTrue(client.waitForClose(seconds: 10), "the server closes the stalled connection")
    XCTAssertLessThan(Date().timeIntervalSince(started), 8, "after about a second, not held")
  }

  func testLoadFromBothClients() throws {
    let port = try XCTUnwrap(Self.server, "the server did not start").port
    let queries = ["a red circle on the grass", "blue star at night", "a \"quoted\" green square"]
    let own = LoadTest.run(port: port, queries: queries, k: 5, connections: 2, requests: 40, seconds: 20)
    XCTAssertEqual(own.requests, 40)
    XCTAssertEqual(own.failed, 0)
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else { throw XCTSkip("wrk is not installed (apt-get install wrk)") }
    let wrk = try WrkLoad.run(port: port, queries: queries, k: 5, rerank: "none", connections: 2, seconds: 1)
    XCTAssertGreaterThan(wrk.requests, 10)
    XCTAssertEqual(wrk.seconds, 1, accuracy: 0.5)
    XCTAssertEqual(wrk.failed, 0)
    XCTAssertGreaterThan(wrk.p99, 0)
    XCTAssertGreaterThanOrEqual(wrk.p99, wrk.p50)
  }

  func testConcurrentSearchesAllSucceedAndAgree() throws {
    let port = try XCTUnwrap(Self.server).port
    let queries = ["a red circle on the grass", "a blue star at night", "green square on sand", "yellow ring", "purple cross in the snow"]
    let expected = try queries.map { try JSONDecoder().decode(SearchAnswer.self, from: try LoopbackClient(port: port).json("/api/search/text", ["query": $0, "k": 10]).body) }
    let failures = Statuses()
    onThreads(16) { worker in
      let client = LoopbackClient(port: port)
      for i in 0..<20 {
        let q = (worker + i) % queries.count
        guard let reply = try? client.json("/api/search/text", ["query": queries[q], "k": 10]), reply.status == 200,
              let answer = try? JSONDecoder().decode(SearchAnswer.self, from: reply.body), answer == expected[q] else { failures.add(q); continue }
      }
    }
    XCTAssertEqual(failures.all, [], "16 connections × 20 searches, batched together, answer as one search alone does")
  }

  /// `body(i)` on `n` threads at once (a dispatch queue would run only as many as there are cores).
  private func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<n {
      group.enter()
      Thread.detachNewThread { body(i); group.leave() }
    }
    group.wait()
  }

  final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values = [Int]()
    func add(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
  }
}
