// Tests of `cmh augment` and `cmh train --augment` through the binary: the folder it writes, the
// fine-tuned model's record, the corpus left untouched (synthetic pairs never reach its query or
// retrieval sets), images generated elsewhere imported from a manifest, and the errors.

import Foundation
import XCTest

final class AugmentCommandTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-augment-cli-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }
  static let small = ["--bits", "16", "--arch", "compact10", "--input-size", "32", "--width", "8", "--image-hidden", "32",
                      "--text-hidden", "32,32", "--batch-size", "32", "--epochs", "2", "--quiet"]

  /// A long-tailed corpus and a first model trained on it.
  func firstModel() throws -> (corpus: String, model: String) {
    let corpus = Self.folder.appendingPathComponent("lt").path, model = Self.folder.appendingPathComponent("first.cmh").path
    if !FileManager.default.fileExists(atPath: model) {
      XCTAssertEqual(try runCMH(["corpus", "make-shapes", "--out", corpus, "--pairs", "400", "--size", "32", "--imbalance", "20", "--quiet"]).0, 0)
      let trained = try runCMH(["train", corpus, "--out", model] + Self.small)
      XCTAssertEqual(trained.0, 0, trained.2)
    }
    return (corpus, model)
  }

  func testAugmentThenTrainOnTheFolder() throws {
    let (corpus, model) = try firstModel()
    let before = try ["pairs.jsonl", "splits/query.txt", "splits/retrieval.txt", "splits/train.txt"].map {
      try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + $0))
    }
    let out = Self.folder.appendingPathComponent("aug").path
    let made = try runCMH(["augment", corpus, "--model", model, "--out", out, "--iterations", "50", "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as? [String: Any])
    XCTAssertEqual(summary["method"] as? String, "diffusion")
    let synthetic = try XCTUnwrap(summary["synthetic_pairs"] as? Int), real = try XCTUnwrap(summary["real_pairs"] as? Int)
    XCTAssertGreaterThan(synthetic, 0)
    XCTAssertLessThanOrEqual(synthetic, real)
    // The rarest label gains the most, relative to what it had.
    let realCounts = try XCTUnwrap(summary["real_counts"] as? [Int]), added = try XCTUnwrap(summary["synthetic_counts"] as? [Int])
    let rarest = realCounts.indices.filter { realCounts[$0] > 0 }.min { realCounts[$0] < realCounts[$1] }!
    let commonest = realCounts.indices.max { realCounts[$0] < realCounts[$1] }!
    XCTAssertGreaterThan(Double(added[rarest]) / Double(realCounts[rarest]), Double(added[commonest]) / Double(realCounts[commonest]))
    let listing = try String(contentsOfFile: out + "/synthetic.jsonl", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(listing.count, synthetic)

    let tunedPath = Self.folder.appendingPathComponent("tuned.cmh").path
    let tuned = try runCMH(["train", corpus, "--augment", out, "--augment-epochs", "1,2", "--out", tunedPath, "--json"])
    XCTAssertEqual(tuned.0, 0, tuned.2)
    let epochs = tuned.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    XCTAssertEqual(epochs.map { $0["stage"] as? String }, ["synthetic", "mixed", "mixed"])
    let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: tunedPath)).prefix(4096), as: UTF8.self)
    XCTAssertTrue(header.contains("diffusion: from a 4-epoch model (2 label epochs, 2 epochs), 1 epochs on \(synthetic) synthetic pairs"), header)
    let after = try ["pairs.jsonl", "splits/query.txt", "splits/retrieval.txt", "splits/train.txt"].map {
      try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + $0))
    }
    XCTAssertEqual(before, after, "augmenting must not touch the corpus")
    let evaluated = try runCMH(["eval", model, tunedPath, corpus, "--json", "--quiet"])
    XCTAssertEqual(evaluated.0, 0, evaluated.2)

    let noFolder = try runCMH(["train", corpus, "--augment", Self.folder.path, "--out", tunedPath])
    XCTAssertTrue(noFolder.2.contains("not an augmentation folder"), noFolder.2)
    let file = URL(fileURLWithPath: out + "/synthetic.cmhaug"), whole = try Data(contentsOf: file)
    try whole.prefix(whole.count / 2).write(to: file)
    let damaged = try runCMH(["train", corpus, "--augment", out, "--out", tunedPath])
    XCTAssertNotEqual(damaged.0, 0)
    XCTAssertTrue(damaged.2.contains(file.path), damaged.2)
  }

  func testImagesGeneratedElsewhereComeInThroughAManifest() throws {
    let (corpus, model) = try firstModel()
    // Stand-ins for generated images: the corpus's own first images, under new captions.
    let pairs = try String(contentsOfFile: corpus + "/pairs.jsonl", encoding: .utf8).split(separator: "\n").prefix(3)
    let images = try pairs.map { try XCTUnwrap((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["image"] as? String) }
    let manifest = Self.folder.appendingPathComponent("generated.jsonl")
    let lines = images.enumerated().map { n, image in
      #"{"image": "\#(corpus)/\#(image)", "text": "a red circle number \#(n)", "labels": ["circle", "red"]}"#
    }
    try (lines.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8)
    let out = Self.folder.appendingPathComponent("imported").path
    let made = try runCMH(["augment", corpus, "--model", model, "--manifest", manifest.path, "--out", out, "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as? [String: Any])
    XCTAssertEqual(summary["method"] as? String, "imported")
    XCTAssertEqual(summary["synthetic_pairs"] as? Int, 3)
    let listing = try String(contentsOfFile: out + "/synthetic.jsonl", encoding: .utf8)
    XCTAssertTrue(listing.contains(#""labels":["circle","red"]"#), listing)
    XCTAssertTrue(listing.contains("circle") && listing.contains("red"), listing)
    let tuned = try runCMH(["train", corpus, "--augment", out, "--augment-epochs", "1,1", "--out", Self.folder.appendingPathComponent("imported.cmh").path, "--quiet"])
    XCTAssertEqual(tuned.0, 0, tuned.2)

    try (#"{"image": "\#(corpus)/\#(images[0])", "text": "a zebra", "labels": ["zebra"]}"# + "\n").write(to: manifest, atomically: true, encoding: .utf8)
    let unknown = try runCMH(["augment", corpus, "--model", model, "--manifest", manifest.path, "--out", out, "--quiet"])
    XCTAssertNotEqual(unknown.0, 0)
    XCTAssertTrue(unknown.2.contains("pair 1 of the manifest has the label \"zebra\""), unknown.2)
    try "".write(to: manifest, atomically: true, encoding: .utf8)  // once a nil unwrap
    let empty = try runCMH(["augment", corpus, "--model", model, "--manifest", manifest.path, "--out", out, "--quiet"])
    XCTAssertNotEqual(empty.0, 0)
    XCTAssertTrue(empty.2.contains("generated.jsonl") && empty.2.contains("no pairs"), empty.2)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/synthetic.cmhaug"), "a failed run must leave the last folder intact")
  }
}
