// Tests of `cmh augment` and `cmh train --augment` through the binary: the folder it writes (PNG
// images, their texts and where those came from, the contact sheet), the two stages of training
// and the model's record, the corpus left untouched (synthetic pairs never reach its query or
// retrieval sets), oversampling's copies, images generated elsewhere from a manifest, and the errors.

import Foundation
import XCTest

final class AugmentCommandTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-augment-cli-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }
  static let small = ["--bits", "16", "--arch", "compact10", "--input-size", "32", "--width", "8", "--image-hidden", "32",
                      "--text-hidden", "32,32", "--batch-size", "32", "--epochs", "2", "--quiet"]

  /// A small long-tailed corpus.
  func longTailed() throws -> String {
    let corpus = Self.folder.appendingPathComponent("lt").path
    if !FileManager.default.fileExists(atPath: corpus + "/corpus.json") {
      XCTAssertEqual(try runCMH(["corpus", "make-shapes", "--out", corpus, "--pairs", "400", "--size", "32", "--imbalance", "20", "--quiet"]).0, 0)
    }
    return corpus
  }

  func testAugmentThenTrainOnTheFolder() throws {
    let corpus = try longTailed()
    let before = try ["pairs.jsonl", "splits/query.txt", "splits/retrieval.txt", "splits/train.txt"].map {
      try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + $0))
    }
    let out = Self.folder.appendingPathComponent("aug").path
    let made = try runCMH(["augment", corpus, "--out", out, "--iterations", "20", "--size", "16", "--max-synthetic", "40", "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as? [String: Any])
    XCTAssertEqual(summary["method"] as? String, "diffusion")
    XCTAssertEqual(summary["synthetic_pairs"] as? Int, 40)
    // The rarest label gains the most, relative to what it had.
    let realCounts = try XCTUnwrap(summary["real_counts"] as? [Int]), added = try XCTUnwrap(summary["synthetic_counts"] as? [Int])
    let rarest = realCounts.indices.filter { realCounts[$0] > 0 }.min { realCounts[$0] < realCounts[$1] }!
    let commonest = realCounts.indices.max { realCounts[$0] < realCounts[$1] }!
    XCTAssertGreaterThan(Double(added[rarest]) / Double(realCounts[rarest]), Double(added[commonest]) / Double(realCounts[commonest]))
    // The images are files a person can open, each paired with a real text of its label set.
    let images = try FileManager.default.contentsOfDirectory(atPath: out + "/images").filter { $0.hasSuffix(".png") }
    XCTAssertEqual(images.count, 40)
    let listing = try String(contentsOfFile: out + "/synthetic.jsonl", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(listing.count, 40)
    XCTAssertTrue(listing.allSatisfy { $0.contains(#""text_source":"real pair shape"#) }, String(listing[0]))
    let sheet = try String(contentsOfFile: out + "/contact-sheet.html", encoding: .utf8)
    XCTAssertTrue(sheet.contains("<img src=\"data:image/png;base64,"), "the contact sheet shows the images")

    let trainedPath = Self.folder.appendingPathComponent("augmented.cmh").path
    let trained = try runCMH(["train", corpus, "--augment", out, "--pretrain-epochs", "2", "--real-epochs", "1", "--out", trainedPath, "--json"] + Self.small)
    XCTAssertEqual(trained.0, 0, trained.2)
    let epochs = trained.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    // This corpus's defaults put 4 label epochs first: they pre-train too, on the balanced pairs.
    XCTAssertEqual(epochs.map { $0["stage"] as? String }, Array(repeating: "pre-training", count: 6) + ["training"])
    let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: trainedPath)).prefix(4096), as: UTF8.self)
    XCTAssertTrue(header.contains("whole model pre-trained 4 label epochs and 2 epochs on 240 pairs (40 synthetic), then trained 1 on the real pairs at 0.1× the rates"), header)
    for leftover in [".pretraining", ".pretrained.cmh", ".pretrain.ckpt"] {
      XCTAssertFalse(FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent("augmented" + leftover).path), leftover)
    }
    let after = try ["pairs.jsonl", "splits/query.txt", "splits/retrieval.txt", "splits/train.txt"].map {
      try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + $0))
    }
    XCTAssertEqual(before, after, "augmenting must not touch the corpus")
    let evaluated = try runCMH(["eval", trainedPath, corpus, "--json", "--quiet"])
    XCTAssertEqual(evaluated.0, 0, evaluated.2)

    let noFolder = try runCMH(["train", corpus, "--augment", Self.folder.path, "--out", trainedPath])
    XCTAssertTrue(noFolder.2.contains("not an augmentation folder"), noFolder.2)
    let file = URL(fileURLWithPath: out + "/augmentation.json"), whole = try Data(contentsOf: file)
    try whole.prefix(whole.count / 2).write(to: file)
    let damaged = try runCMH(["train", corpus, "--augment", out, "--out", trainedPath])
    XCTAssertNotEqual(damaged.0, 0)
    XCTAssertTrue(damaged.2.contains(file.path), damaged.2)

    // The trained generator stays beside the folder; --resume renders another plan and guidance
    // with it: no iteration runs, so the checkpoint is not written again.
    let saved = URL(fileURLWithPath: out + ".generator.ckpt"), trainedGenerator = try Data(contentsOf: saved)
    let again = try runCMH(["augment", corpus, "--out", out, "--iterations", "20", "--size", "16", "--max-synthetic", "24", "--guidance", "3", "--resume", "--json", "--quiet"])
    XCTAssertEqual(again.0, 0, again.2)
    XCTAssertEqual(try Data(contentsOf: saved), trainedGenerator, "rendered by the trained generator, not trained again")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out + "/images").filter { $0.hasSuffix(".png") }.count, 24)
  }

  func testOversamplingCopiesRealPairs() throws {
    let corpus = try longTailed()
    let out = Self.folder.appendingPathComponent("over").path
    let made = try runCMH(["augment", corpus, "--out", out, "--method", "oversample", "--max-synthetic", "30", "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let listing = try String(contentsOfFile: out + "/synthetic.jsonl", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(listing.count, 30)
    XCTAssertTrue(listing.allSatisfy { $0.contains(#""text_source":"copy of real pair shape"#) && $0.contains(corpus + "/images/") }, String(listing[0]))
  }

  func testNothingToAddWritesAnEmptyFolder() throws {
    let corpus = try longTailed()
    let out = Self.folder.appendingPathComponent("none").path
    let made = try runCMH(["augment", corpus, "--out", out, "--max-synthetic", "0", "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as? [String: Any])
    XCTAssertEqual(summary["synthetic_pairs"] as? Int, 0)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/images"), "no generator trained for nothing")
  }

  func testImagesGeneratedElsewhereComeInThroughAManifest() throws {
    let corpus = try longTailed()
    // Stand-ins for generated images: the corpus's own first images, under new captions.
    let pairs = try String(contentsOfFile: corpus + "/pairs.jsonl", encoding: .utf8).split(separator: "\n").prefix(3)
    let images = try pairs.map { try XCTUnwrap((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["image"] as? String) }
    let manifest = Self.folder.appendingPathComponent("generated.jsonl")
    let lines = images.enumerated().map { n, image in
      #"{"image": "\#(corpus)/\#(image)", "text": "a red circle number \#(n)", "labels": ["circle", "red"]}"#
    }
    try (lines.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8)
    let out = Self.folder.appendingPathComponent("imported").path
    let made = try runCMH(["augment", corpus, "--manifest", manifest.path, "--out", out, "--json", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(made.1.utf8)) as? [String: Any])
    XCTAssertEqual(summary["method"] as? String, "imported")
    XCTAssertEqual(summary["synthetic_pairs"] as? Int, 3)
    let listing = try String(contentsOfFile: out + "/synthetic.jsonl", encoding: .utf8)
    XCTAssertTrue(listing.contains(#""labels":["circle","red"]"#), listing)
    XCTAssertTrue(listing.contains("a red circle number 2"), listing)
    let trained = try runCMH(["train", corpus, "--augment", out, "--pretrain-epochs", "1", "--out", Self.folder.appendingPathComponent("imported.cmh").path] + Self.small)
    XCTAssertEqual(trained.0, 0, trained.2)

    try (#"{"image": "\#(corpus)/\#(images[0])", "text": "a zebra", "labels": ["zebra"]}"# + "\n").write(to: manifest, atomically: true, encoding: .utf8)
    let unknown = try runCMH(["augment", corpus, "--manifest", manifest.path, "--out", out, "--quiet"])
    XCTAssertNotEqual(unknown.0, 0)
    XCTAssertTrue(unknown.2.contains("generated.jsonl:1") && unknown.2.contains("the label \"zebra\""), unknown.2)
    try (#"{"image": "/nonexistent/a.png", "text": "a circle", "labels": ["circle"]}"# + "\n").write(to: manifest, atomically: true, encoding: .utf8)
    let missing = try runCMH(["augment", corpus, "--manifest", manifest.path, "--out", out, "--quiet"])
    XCTAssertNotEqual(missing.0, 0)
    XCTAssertTrue(missing.2.contains("/nonexistent/a.png is not there"), missing.2)
    try "".write(to: manifest, atomically: true, encoding: .utf8)  // once a nil unwrap
    let empty = try runCMH(["augment", corpus, "--manifest", manifest.path, "--out", out, "--quiet"])
    XCTAssertNotEqual(empty.0, 0)
    XCTAssertTrue(empty.2.contains("generated.jsonl") && empty.2.contains("no pairs"), empty.2)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/augmentation.json"), "a failed run must leave the last folder intact")
  }
}
