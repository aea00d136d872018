// Tests of `cmh corpus make-features | split | stats | validate` through the binary: the summary
// as one JSON object with --json, nothing with --quiet, the label histogram into an --svg folder,
// and a MIRFlickr-like corpus on label and tag matrices of one's own.

import Foundation
import TestSupport
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

  func testAMIRFlickrLikeCorpusKeepsTheLabelsAndTagsOfGivenMatrices() throws {
    // 60 pairs, 5 labels, 8 tags; pair 7 has no label and pair 11 no tag, so 58 are kept.
    func label(_ r: Int, _ c: Int) -> Double { r != 7 && ((r + c) % 4 == 0 || c == r % 5) ? 1 : 0 }
    func tag(_ r: Int, _ c: Int) -> Double { r != 11 && (c == r % 8 || c == (r + 3) % 8) ? 1 : 0 }
    let labels: [Double] = (0..<5).flatMap { c in (0..<60).map { r in label(r, c) } }
    let tags: [Double] = (0..<8).flatMap { c in (0..<60).map { r in tag(r, c) } }
    let mat = folder.appendingPathComponent("own.mat")
    try Data(MatV5Writer.header() + MatV5Writer.matrix("LAll", rows: 60, columns: 5, columnMajor: labels, storeAsUInt8: false)
             + MatV5Writer.matrix("YAll", rows: 60, columns: 8, columnMajor: tags, storeAsUInt8: true)).write(to: mat)
    let corpus = folder.appendingPathComponent("own"), names = folder.appendingPathComponent("names.txt")
    try "sky\nsea\ndog\ncar\ntree\n".write(to: names, atomically: true, encoding: .utf8)
    let made = try runCMH(["corpus", "make-features", "--like", "mirflickr", "--labels", mat.path, "--texts", mat.path + ":YAll",
                           "--label-names", names.path, "--out", corpus.path, "--json"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try object(made.1)
    XCTAssertEqual(summary["pairs"] as? Int, 58)
    XCTAssertEqual(summary["image_columns"] as? Int, 512)
    XCTAssertEqual(summary["text_columns"] as? Int, 8)
    XCTAssertEqual(summary["queries"] as? Int, 5, "the protocol's split: a tenth of a small corpus")
    // Each pair keeps its row's labels (the first kept pair is row 0).
    let first = try object(String(try String(contentsOf: corpus.appendingPathComponent("pairs.jsonl"), encoding: .utf8).split(separator: "\n")[0]))
    XCTAssertEqual(first["labels"] as? [Int], (0..<5).filter { labels[$0 * 60] == 1 })
    // It trains and evaluates like any feature corpus.
    XCTAssertEqual(try runCMH(["corpus", "validate", corpus.path, "--quiet"]).0, 0)
    // The labels take the names given, in column order.
    let info = try object(try String(contentsOf: corpus.appendingPathComponent("corpus.json"), encoding: .utf8))
    XCTAssertEqual(info["labels"] as? [String], ["sky", "sea", "dog", "car", "tree"])

    for (arguments, message) in [(["--labels", mat.path], "--labels and --texts come together"),
                                 (["--labels", mat.path, "--texts", mat.path, "--pairs", "40"], "--pairs does not go with --labels"),
                                 (["--label-names", names.path], "--label-names go with --labels and --texts")] {
      let refused = try runCMH(["corpus", "make-features", "--like", "mirflickr", "--out", corpus.path + "-2"] + arguments)
      XCTAssertNotEqual(refused.0, 0)
      XCTAssertTrue(refused.2.contains(message), refused.2)
    }
    let wikipedia = try runCMH(["corpus", "make-features", "--like", "wikipedia", "--labels", mat.path, "--texts", mat.path, "--out", corpus.path + "-3"])
    XCTAssertTrue(wikipedia.2.contains("need --like mirflickr"), wikipedia.2)
  }
}
