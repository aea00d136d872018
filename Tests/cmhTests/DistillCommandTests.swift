// `cmh distill`, `cmh eval --gallery` and `cmh bench query` through the binary, as a user runs
// them: epoch lines and the log, a checkpoint that resumes, the gallery check naming both models,
// the JSON fields, and clear errors for bad options.

import Foundation
import XCTest

final class DistillCommandTests: XCTestCase {
  func testDistillEvaluateAndBenchAQueryModel() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-distill-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    let small = ["--image-hidden", "64", "--text-hidden", "64", "--epochs", "3", "--quiet"]
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "mirflickr", "--pairs", "300", "--out", path("mir"), "--quiet"]).0, 0)
    for (name, seed) in [("big.cmh", "1"), ("other.cmh", "2")] {
      let trained = try runCMH(["train", path("mir"), "--bits", "16", "--seed", seed, "--out", path(name)] + small)
      XCTAssertEqual(trained.0, 0, trained.2)
    }

    let distilled = try runCMH(["distill", path("big.cmh"), path("mir"), "--out", path("small.cmh"), "--epochs", "2", "--json"])
    XCTAssertEqual(distilled.0, 0, distilled.2)
    let lines = distilled.1.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(lines.map { $0["epoch"] as! Int }, [1, 2])
    for key in ["image_contextual", "text_contextual", "distinct_image_codes", "image_top10_agreement", "pairs_per_second"] { XCTAssertNotNil(lines[0][key], key) }
    XCTAssertEqual(try String(contentsOfFile: path("small.cmh.log.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)
    let resumed = try runCMH(["distill", path("big.cmh"), path("mir"), "--out", path("small.cmh"), "--resume", "--epochs", "3", "--json"])
    XCTAssertEqual(resumed.0, 0, resumed.2)
    XCTAssertEqual(resumed.1.split(separator: "\n").count, 1, resumed.1)
    XCTAssertTrue(resumed.1.contains("\"epoch\":3"), resumed.1)

    let evaluated = try runCMH(["eval", path("small.cmh"), path("mir"), "--gallery", path("big.cmh"), "--json", "--quiet"])
    XCTAssertEqual(evaluated.0, 0, evaluated.2)
    let row = try JSONSerialization.jsonObject(with: Data(evaluated.1.split(separator: "\n")[0].utf8)) as! [String: Any]
    XCTAssertEqual(row["query_model"] as? String, path("small.cmh"))
    XCTAssertEqual(row["gallery_model"] as? String, path("big.cmh"))
    let refused = try runCMH(["eval", path("small.cmh"), path("mir"), "--gallery", path("other.cmh"), "--quiet"])
    XCTAssertNotEqual(refused.0, 0)
    XCTAssertTrue(refused.2.contains(path("big.cmh")) && refused.2.contains(path("other.cmh")), refused.2)

    let bench = try runCMH(["bench", "query", path("big.cmh"), path("small.cmh"), "--repeats", "1", "--singles", "2", "--batch", "4", "--json"])
    XCTAssertEqual(bench.0, 0, bench.2)
    let figures = bench.1.split(separator: "\n").filter { $0.contains("\"bench\"") }
    XCTAssertEqual(figures.count, 8, bench.1)
    XCTAssertEqual(figures.filter { $0.contains("\"speedup\"") }.count, 4, bench.1)

    let bad = try runCMH(["distill", path("big.cmh"), path("mir"), "--out", path("x.cmh"), "--temperature", "0,1"])
    XCTAssertNotEqual(bad.0, 0)
    XCTAssertTrue(bad.2.contains("--temperature"), bad.2)
    let noCheckpoint = try runCMH(["distill", path("big.cmh"), path("mir"), "--out", path("y.cmh"), "--resume"])
    XCTAssertTrue(noCheckpoint.0 != 0 && noCheckpoint.2.contains("no checkpoint"), noCheckpoint.2)
  }
}
