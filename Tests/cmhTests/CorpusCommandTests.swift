// Tests of `cmh corpus make-features | split | stats | validate` through the binary: the summary
// as one JSON object with --json, nothing with --quiet, and the label histogram into an --svg folder.

import Foundation
import XCTest

final class CorpusCommandTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-corpus-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  func object(_ text: String) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
  }

  func testSummariesAsJSONAndQuiet() throws {
    let corpus = folder.appendingPathComponent("wiki").path
    let made = try runCMH(["corpus", "make-features", "--like", "wikipedia", "--pairs", "200", "--out", corpus, "--json"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try object(made.1)
    XCTAssertEqual(summary["pairs"] as? Int, 200)
    XCTAssertEqual((summary["queries"] as? Int ?? 0) + (summary["retrieval"] as? Int ?? 0), 200)

    let split = try runCMH(["corpus", "split", corpus, "--query", "20", "--train", "50", "--seed", "18446744073709551615", "--force", "--json"])
    XCTAssertEqual(split.0, 0, split.2)
    let sizes = try object(split.1)
    XCTAssertEqual(sizes["queries"] as? Int, 20)
    XCTAssertEqual(sizes["train"] as? Int, 50)
    XCTAssertEqual((sizes["seed"] as? NSNumber)?.uint64Value, UInt64.max, "the largest seed, printed whole")
    let quiet = try runCMH(["corpus", "split", corpus, "--force", "--quiet"])
    XCTAssertEqual(quiet.0, 0, quiet.2)
    XCTAssertEqual(quiet.1 + quiet.2, "")

    let plots = folder.appendingPathComponent("plots")
    let stats = try runCMH(["corpus", "stats", corpus, "--svg", plots.path, "--json", "--quiet"])
    XCTAssertEqual(stats.0, 0, stats.2)
    XCTAssertEqual(try object(stats.1)["pairs"] as? Int, 200)
    XCTAssertEqual(stats.2, "", "--quiet: no \"wrote\" line")
    XCTAssertTrue(try String(contentsOf: plots.appendingPathComponent("labels.svg"), encoding: .utf8).hasPrefix("<svg"))
  }

  func testValidateReportsProblemsAsJSON() throws {
    let corpus = folder.appendingPathComponent("wiki")
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "wikipedia", "--pairs", "60", "--out", corpus.path, "--quiet"]).0, 0)
    let clean = try runCMH(["corpus", "validate", corpus.path, "--json"])
    XCTAssertEqual(clean.0, 0, clean.2)
    XCTAssertEqual(try object(clean.1)["problems"] as? [String], [])

    // A pair without labels: still one JSON object, the problem named with file and line, exit 1.
    let pairs = corpus.appendingPathComponent("pairs.jsonl")
    var lines = try String(contentsOf: pairs, encoding: .utf8).split(separator: "\n").map(String.init)
    lines[2] = lines[2].replacingOccurrences(of: #""labels":\[\d+\]"#, with: #""labels":[]"#, options: .regularExpression)
    try (lines.joined(separator: "\n") + "\n").write(to: pairs, atomically: true, encoding: .utf8)
    let broken = try runCMH(["corpus", "validate", corpus.path, "--json"])
    XCTAssertEqual(broken.0, 1)
    let problems = try XCTUnwrap(try object(broken.1)["problems"] as? [String])
    XCTAssertTrue(problems.contains { $0.contains("pairs.jsonl:3:") && $0.contains("has no label") }, "\(problems)")
  }
}
