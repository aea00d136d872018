// `cmh experiment table` through the binary: two small generated corpora at two code lengths,
// interrupted in the middle of a run and continued, give the table of an uninterrupted run; the
// reference figures stand beside the measured ones; a corpus of MIRFlickr-25K's protocol gets
// DCMH's published figures with their citation, and other corpora none.

import Foundation
import Platform
@testable import cmh
import XCTest

final class ExperimentTableTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-table-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }
  func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

  func table(_ out: String, _ extra: [String] = []) -> [String] {
    ["experiment", "table", path("mir"), path("wiki"), "--bits", "16,32", "--loss", "cauchy", "--epochs", "150",
     "--image-hidden", "32", "--text-hidden", "32", "--out", path(out)] + extra
  }

  func testAnInterruptedTableContinuesToTheUninterruptedOne() throws {
    for (kind, name) in [("mirflickr", "mir"), ("wikipedia", "wiki")] {
      XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", kind, "--pairs", "240", "--out", path(name), "--quiet"]).0, 0)
    }
    try Data(#"{"data": "wiki", "loss": "cauchy", "bits": 32, "i2t": 0.25, "t2i": 0.5, "label": "ref_cmh.py"}"#.utf8).write(to: URL(fileURLWithPath: path("ref.jsonl")))
    let straight = try runCMH(table("straight", ["--reference", path("ref.jsonl")]))
    XCTAssertEqual(straight.0, 0, straight.2)
    XCTAssertTrue(straight.2.contains("run 4 of 4"), straight.2)
    // The epoch rows are progress here (stderr); stdout is the table alone.
    XCTAssertTrue(straight.2.contains("epoch   image sim"), straight.2)
    XCTAssertTrue(straight.1.hasPrefix("### mir"), straight.1)

    // Interrupted while the second run trains (its checkpoint exists, its model does not).
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh")
    let process = Process(), checkpoint = path("resumed/mir-cauchy-32.cmh.ckpt")
    process.executableURL = binary
    process.arguments = table("resumed")
    // Waits for the checkpoint beside the run, while ChildProcess drains the epoch rows on stderr.
    let (_, stderr) = try ChildProcess.run(process) { running in
      DispatchQueue.global().async {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(2_000) }
        running.interrupt()
      }
    }
    let message = String(decoding: stderr, as: UTF8.self)
    XCTAssertNotEqual(process.terminationStatus, 0, message)
    XCTAssertTrue(message.contains("run the same command again"), message)
    let models = ["mir-cauchy-16", "mir-cauchy-32", "wiki-cauchy-16", "wiki-cauchy-32"].map { path("resumed/\($0).cmh") }
    let unfinished = models.first { !FileManager.default.fileExists(atPath: $0) && FileManager.default.fileExists(atPath: $0 + ".ckpt") }
    XCTAssertFalse(models.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    let resumed = try runCMH(table("resumed", ["--reference", path("ref.jsonl")]))
    XCTAssertEqual(resumed.0, 0, resumed.2)
    if unfinished != nil { XCTAssertTrue(resumed.2.contains("resuming at epoch"), resumed.2) }
    XCTAssertEqual(resumed.1, straight.1)
    XCTAssertEqual(try String(contentsOfFile: path("resumed/table.md"), encoding: .utf8), try String(contentsOfFile: path("straight/table.md"), encoding: .utf8))
    XCTAssertTrue(straight.1.contains("| MAP@all, ref_cmh.py | Image→Text | — | 0.2500 |"), straight.1)
    XCTAssertFalse(straight.1.contains("published"), straight.1)
    let records = try String(contentsOfFile: path("resumed/runs.jsonl"), encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(records.count, 4)
    XCTAssertTrue(records.allSatisfy { $0.contains("\"blas_kernel\"") && $0.contains("\"settings\"") })

    // Everything trained: the JSON lines come at once, one per corpus, bits, loss and direction.
    let json = try runCMH(table("straight", ["--json", "--quiet", "--reference", path("ref.jsonl")]))
    let lines = json.1.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(lines.count, 8)
    XCTAssertEqual((lines.last?["reference"] as? [String: Any])?["ref_cmh.py"] as? Double, 0.5)
  }

  func testOnlyACorpusOfTheStandardProtocolGetsPublishedFigures() throws {
    // MIRFlickr-25K's shape: 20,015 pairs, 24 labels; without splits, the protocol's 2,000 queries.
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "mirflickr", "--pairs", "20015", "--out", path("flickr"), "--quiet"]).0, 0)
    try FileManager.default.removeItem(atPath: path("flickr/splits"))
    let options = ["--bits", "16", "--loss", "dcmh", "--epochs", "1", "--image-hidden", "16", "--text-hidden", "16", "--csv"]
    // Generated, it gets none: the paper measured the benchmark itself.
    let generated = try runCMH(["experiment", "table", path("flickr"), "--out", path("generated-table")] + options)
    XCTAssertEqual(generated.0, 0, generated.2)
    XCTAssertFalse(generated.1.contains("0.7410") || generated.1.contains("Jiang"), generated.1)
    // Described as imported (as `cmh corpus import mat` of the benchmark's files would), it does.
    let info = URL(fileURLWithPath: path("flickr/corpus.json"))
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: info)) as! [String: Any]
    json["source"] = "cmh corpus import mat: mirflickr25k-lall.mat:LAll, mirflickr25k-yall.mat:YAll, mirflickr25k-iall.mat:IAll"
    try JSONSerialization.data(withJSONObject: json).write(to: info)
    let run = try runCMH(["experiment", "table", path("flickr"), "--out", path("flickr-table")] + options)
    XCTAssertEqual(run.0, 0, run.2)
    XCTAssertTrue(run.2.contains("has no splits: using the standard protocol's, 2000 queries"), run.2)
    XCTAssertTrue(run.1.contains("0.7410") && run.1.contains("Jiang and W.-J. Li"), run.1)
    let markdown = try String(contentsOfFile: path("flickr-table/table.md"), encoding: .utf8)
    XCTAssertTrue(markdown.contains("| MAP@all, DCMH as published [1] | Image→Text | 0.7410 |"), markdown)
    XCTAssertTrue(markdown.contains("[1] Q.-Y. Jiang and W.-J. Li, \"Deep Cross-Modal Hashing\", CVPR 2017, Table 3 (MIRFlickr-25K, standard protocol)."), markdown)
  }
}
