// Tests of `cmh index info` and `cmh index eval`, run as a person runs them: the built binary on
// index files written here.

import Foundation
import Hashing
import XCTest
import ZIPFoundation

final class IndexCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func cmh(_ arguments: [String]) throws -> (Int32, String, String) { try runCMH(arguments) }

  /// Image queries and text items with labels drawn from three names; codes near their first label's centre.
  func writeIndexes() throws -> (URL, URL, RetrievalReport) {
    let names = ["beach", "dog", "night"]
    var state: UInt64 = 9
    func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
    func sample(_ n: Int) -> ([UInt64], [[Int]]) {
      var words = [UInt64](), labels = [[Int]]()
      for _ in 0..<n {
        let first = Int(next() % 3), second = Int(next() % 3)
        labels.append(Array(Set([first, second])).sorted())
        words.append(UInt64(first) * 0x5555_5555 ^ (1 << (next() % 32)) ^ (next() % 2 == 0 ? 0 : 1 << 40))
      }
      return (words, labels)
    }
    let (qw, ql) = sample(20), (rw, rl) = sample(200)
    let q = directory.appendingPathComponent("queries.cmhindex"), r = directory.appendingPathComponent("retrieval.cmhindex")
    let items = { (labels: [[Int]], kind: String) in labels.enumerated().map { IndexItem(id: "\(kind)\($0)", display: "\(kind) \($0)", labels: $1.map { names[$0] }) } }
    try IndexFile.write(codes: BinaryCodes(words: qw, bits: 48), modality: .image, items: items(ql, "q"), to: q)
    try IndexFile.write(codes: BinaryCodes(words: rw, bits: 48), modality: .text, items: items(rl, "r"), to: r)
    let report = RetrievalMetrics.evaluate(queries: BinaryCodes(words: qw, bits: 48), queryLabels: LabelSets(ql, labelCount: 3),
                                           database: BinaryCodes(words: rw, bits: 48), databaseLabels: LabelSets(rl, labelCount: 3))
    return (q, r, report)
  }

  func testEvalPrintsTheLibrarysFigures() throws {
    let (q, r, expected) = try writeIndexes()
    let (status, json, _) = try cmh(["index", "eval", q.path, r.path, "--json", "--rerank", "none"])
    XCTAssertEqual(status, 0)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    XCTAssertEqual(object["rerank"] as? String, "none")
    // These indexes keep no stored outputs: the default re-ranking falls back to the asymmetric score.
    let fallback = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try cmh(["index", "eval", q.path, r.path, "--json"]).1.utf8)) as? [String: Any])
    XCTAssertEqual(fallback["rerank"] as? String, "asymmetric")
    XCTAssertNotEqual(try cmh(["index", "eval", q.path, r.path, "--rerank", "stored"]).0, 0, "stored outputs asked for by name, and absent")
    XCTAssertEqual(object["direction"] as? String, "i2t")
    XCTAssertEqual(object["bits"] as? Int, 48)
    XCTAssertEqual(object["queries"] as? Int, 20)
    XCTAssertEqual(try XCTUnwrap(object["map"] as? Double), expected.map, accuracy: 1e-4)
    let svg = directory.appendingPathComponent("curves")
    let (tableStatus, table, _) = try cmh(["index", "eval", q.path, r.path, "--svg", svg.path, "--quiet", "--rerank", "none"])
    XCTAssertEqual(tableStatus, 0)
    XCTAssertTrue(table.contains("MAP@all"), table)
    let curve = try String(contentsOf: svg.appendingPathComponent("pr-i2t.svg"), encoding: .utf8)
    XCTAssertTrue(curve.hasPrefix("<svg"))
    // The legend names the index file, its bits and MAP; the dashed line is a random ranking's.
    XCTAssertTrue(curve.contains(String(format: "retrieval, 48 bits, MAP %.3f", expected.map)), curve)
    XCTAssertTrue(curve.contains(String(format: "chance, MAP %.3f", expected.mapChance)) && curve.contains("stroke-dasharray"), curve)
    XCTAssertEqual(try cmh(["index", "eval", q.path, r.path, "-k", "5", "--quiet"]).0, 0)  // -k and --k alike, as in search
    for bad in [["--radius=-1"], ["--k=-1"], ["--k", "0"], ["-k", "-1"], ["--radius", "-2"]] {  // once a trap, "MAP@-1 0.0000", "Missing value"
      let (badStatus, _, stderr) = try cmh(["index", "eval", q.path, r.path] + bad)
      XCTAssertEqual(badStatus, 64, bad.joined(separator: " "))
      XCTAssertTrue(stderr.contains("--k must be at least 1 and --radius not negative"), stderr)
    }
  }

  func testInfoAndBadFiles() throws {
    let (q, _, _) = try writeIndexes()
    let (status, text, _) = try cmh(["index", "info", q.path])
    XCTAssertEqual(status, 0)
    XCTAssertTrue(text.contains("20 × 48 bits") && text.contains("q0"), text)
    XCTAssertTrue(text.contains("CRC-32 matches"), text)
    // A flipped code byte: the header still fits the file, the checksum does not.
    var bytes = try Data(contentsOf: q)
    bytes[90] ^= 0x10
    let flipped = directory.appendingPathComponent("flipped.cmhindex")
    try bytes.write(to: flipped)
    let (okStatus, okText, _) = try cmh(["index", "verify", q.path])
    XCTAssertEqual(okStatus, 0)
    XCTAssertTrue(okText.contains("ok, 20 × 48-bit codes"), okText)
    let (verifyStatus, verifyJSON, _) = try cmh(["index", "verify", q.path, flipped.path, "--json"])
    XCTAssertEqual(verifyStatus, 1)
    XCTAssertTrue(verifyJSON.contains(#""ok":0"#) && verifyJSON.contains("the checksum does not match"), verifyJSON)
    for command in [["index", "info", flipped.path], ["index", "eval", flipped.path, q.path]] {
      let (status, _, stderr) = try cmh(command)
      XCTAssertEqual(status, 1, command.joined(separator: " "))
      XCTAssertTrue(stderr.contains(flipped.path) && stderr.contains("the checksum does not match"), stderr)
    }
    let bad = directory.appendingPathComponent("bad.cmhindex")
    try Data("not an index".utf8).write(to: bad)
    let (badStatus, _, error) = try cmh(["index", "info", bad.path])
    XCTAssertNotEqual(badStatus, 0)
    XCTAssertTrue(error.contains(bad.path) && error.contains("not a whole cmh index file"), error)
  }
}

final class ImportCommandTests: XCTestCase {
  func testMirflickrFromZipFiles() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-mirzip-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root.appendingPathComponent("mirflickr/meta/tags"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("annotations"), withIntermediateDirectories: true)
    let jpeg = Data(base64Encoded: "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==")!
    for n in 1...30 {
      try jpeg.write(to: root.appendingPathComponent("mirflickr/im\(n).jpg"))
      try "sky\n".write(to: root.appendingPathComponent("mirflickr/meta/tags/tags\(n).txt"), atomically: true, encoding: .utf8)
    }
    try (1...30).map(String.init).joined(separator: "\n").write(to: root.appendingPathComponent("annotations/animals.txt"), atomically: true, encoding: .utf8)
    try FileManager.default.zipItem(at: root.appendingPathComponent("mirflickr"), to: root.appendingPathComponent("mirflickr25k.zip"))
    try FileManager.default.zipItem(at: root.appendingPathComponent("annotations"), to: root.appendingPathComponent("annotations.zip"))
    let out = root.appendingPathComponent("corpus")
    let (status, text, error) = try runCMH(["corpus", "import", "mirflickr25k", "--images", root.appendingPathComponent("mirflickr25k.zip").path,
                                                             "--annotations", root.appendingPathComponent("annotations.zip").path, "--min-tag-count", "5", "--out", out.path])
    XCTAssertEqual(status, 0, error)
    XCTAssertTrue(text.contains("kept 30 pairs"), text)
    let (validStatus, validText, _) = try runCMH(["corpus", "validate", out.path])
    XCTAssertEqual(validStatus, 0, validText)
  }
}
