// Tests of the long-tail commands through the binary: a long-tailed copy of a corpus, and the
// experiment's JSON lines on a small corpus.

import Foundation
import XCTest

final class LongTailCommandTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-longtail-cli-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func testLongTailedCopyKeepsQueriesAndFindsItsImages() throws {
    // A folder name with a quote and a backslash: the JSON summary must still parse and name it.
    let corpus = Self.folder.appendingPathComponent("corpus").path, copy = Self.folder.appendingPathComponent("lt \"q\" \\ x").path
    XCTAssertEqual(try runCMH(["corpus", "make-shapes", "--out", corpus, "--pairs", "600", "--size", "16", "--quiet"]).0, 0)
    let made = try runCMH(["corpus", "longtail", corpus, "--imbalance", "10", "--out", copy, "--json"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as! [String: Any]
    XCTAssertEqual(summary["corpus"] as? String, copy)
    XCTAssertGreaterThan(summary["imbalance"] as! Double, 4)
    XCTAssertLessThan(summary["training_pairs"] as! Int, summary["training_pairs_before"] as! Int)
    for split in ["query", "retrieval"] {
      XCTAssertEqual(try String(contentsOfFile: corpus + "/splits/\(split).txt", encoding: .utf8),
                     try String(contentsOfFile: copy + "/splits/\(split).txt", encoding: .utf8), split)
    }
    let validated = try runCMH(["corpus", "validate", copy])
    XCTAssertEqual(validated.0, 0, validated.1 + validated.2)
  }

  func testExperimentPrintsOneLinePerResult() throws {
    let run = try runCMH(["experiment", "longtail", "--dir", Self.folder.appendingPathComponent("exp").path, "--pairs", "240",
                          "--bits", "16", "--epochs", "2", "--max-synthetic", "20", "--generator-iterations", "30", "--imbalance", "10", "--json", "--quiet"])
    XCTAssertEqual(run.0, 0, run.2)
    let rows = try run.1.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(rows.count, 6 * 2 * 3)  // settings × directions × subsets
    XCTAssertEqual(Set(rows.map { $0["subset"] as! String }), ["all", "tail", "head"])
    XCTAssertEqual(Set(rows.map { $0["setting"] as! String }), ["balanced", "longtail", "oversample", "reweight", "diffusion", "oracle"])
    XCTAssertTrue(rows.allSatisfy { ($0["map"] as! Double) > 0 && ($0["map"] as! Double) <= 1 && $0["bits"] as! Int == 16 })
    XCTAssertTrue(rows.allSatisfy { ($0["ndcg_at_k"] as! Double) > 0 && ($0["ndcg_at_k"] as! Double) <= 1 })
    let sheet = Self.folder.appendingPathComponent("exp/augment-diffusion/contact-sheet.html").path
    XCTAssertTrue(FileManager.default.fileExists(atPath: sheet), "the generator's contact sheet is written")
  }

  /// --corpus: a corpus of feature rows of one's own, thinned; the row generator makes feature rows.
  func testExperimentOnACorpusOfFeatureRows() throws {
    let corpus = Self.folder.appendingPathComponent("rows").path, dir = Self.folder.appendingPathComponent("exp-rows").path
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "mirflickr", "--pairs", "600", "--out", corpus, "--quiet"]).0, 0)
    let run = try runCMH(["experiment", "longtail", "--corpus", corpus, "--dir", dir, "--bits", "16", "--epochs", "2", "--max-synthetic", "40",
                          "--generator-iterations", "30", "--imbalance", "10", "--json", "--quiet"])
    XCTAssertEqual(run.0, 0, run.2)
    let rows = try run.1.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(Set(rows.map { $0["setting"] as! String }), ["balanced", "longtail", "oversample", "reweight", "diffusion", "oracle"])
    XCTAssertEqual(rows.count, 6 * 2 * 3)
    XCTAssertTrue(rows.allSatisfy { ($0["map"] as! Double) > 0 && ($0["map"] as! Double) <= 1 })
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/augment-diffusion/features/image.npy"), "the generator made feature rows")
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/longtail-16.cmh"), "the model of the thinned split is kept")
  }
}
