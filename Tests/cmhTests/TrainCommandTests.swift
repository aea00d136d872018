// Tests of the training commands through the built binary: train → encode → search → eval on a
// tiny generated corpus, the messages for bad input, and Ctrl-C → checkpoint → --resume.

import Foundation
import Hashing
import XCTest

final class TrainCommandTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-train-cli-\(getpid())")
  static let small = ["--bits", "16", "--arch", "compact10", "--input-size", "32", "--width", "8", "--image-hidden", "32",
                      "--text-hidden", "32,32", "--batch-size", "16", "--quiet"]

  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  /// A 120-pair corpus and a model trained on it for one epoch, made once.
  func trained() throws -> (corpus: String, model: String) {
    let corpus = Self.folder.appendingPathComponent("corpus").path, model = Self.folder.appendingPathComponent("model.cmh").path
    if FileManager.default.fileExists(atPath: model) { return (corpus, model) }
    let made = try runCMH(["corpus", "make-shapes", "--out", corpus, "--pairs", "120", "--size", "32", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let run = try runCMH(["train", corpus, "--epochs", "1", "--out", model] + Self.small)
    XCTAssertEqual(run.0, 0, run.2)
    XCTAssertTrue(run.1.contains("epoch"), run.1)
    return (corpus, model)
  }

  func testTrainEncodeSearchEval() throws {
    let (corpus, model) = try trained()
    let index = Self.folder.appendingPathComponent("index").path
    let encoded = try runCMH(["encode", model, corpus, "--out", index, "--quiet"])
    XCTAssertEqual(encoded.0, 0, encoded.2)
    for name in ["image", "text", "query-image", "query-text"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: index + "/\(name).cmhindex"), name)
    }
    let page = Self.folder.appendingPathComponent("t2i.html").path
    let t2i = try runCMH(["search", "text2image", model, index + "/image.cmhindex", "a red circle", "-k", "3", "--json", "--html", page, "--quiet"])
    XCTAssertEqual(t2i.0, 0, t2i.2)
    let lines = t2i.1.split(separator: "\n")
    XCTAssertEqual(lines.count, 3)
    let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
    XCTAssertEqual(first["rank"] as? Int, 1)
    XCTAssertGreaterThanOrEqual(first["tied"] as? Int ?? 0, 1, "the tie group of the first result holds it")
    XCTAssertNotNil(first["score"] as? Double, "re-ranked by the stored outputs by default")
    XCTAssertTrue((first["image"] as? String ?? "").hasSuffix(".jpg"))
    XCTAssertTrue(try String(contentsOfFile: page, encoding: .utf8).contains("<img src=\"corpus/images/"), "images linked relative to the page")

    let image = corpus + "/images/000000.jpg"
    let i2t = try runCMH(["search", "image2text", model, index + "/text.cmhindex", image, "--k", "2"])  // --k as in eval
    XCTAssertEqual(i2t.0, 0, i2t.2)
    let lines2 = i2t.1.split(separator: "\n")
    XCTAssertEqual(lines2.count, 4, i2t.1)
    XCTAssertEqual(lines2.first, "rank  dist   score  id  text  [labels]")
    XCTAssertTrue(lines2.last?.hasPrefix("in the index: ") == true && lines2.last!.contains("at distance") && lines2.last!.contains("re-ranked by the stored score"), i2t.1)
    let plain = try runCMH(["search", "image2text", model, index + "/text.cmhindex", image, "-k", "2", "--rerank", "none"])
    XCTAssertEqual(plain.1.split(separator: "\n").first, "rank  dist  id  text  [labels]")

    let eval = try runCMH(["eval", model, corpus, "--json", "--quiet"])
    XCTAssertEqual(eval.0, 0, eval.2)
    let rows = try eval.1.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(rows.map { $0["direction"] as? String }, ["i2t", "t2i", "i2i", "t2t"])
    XCTAssertEqual(rows[0]["bits"] as? Int, 16)
    XCTAssertEqual(rows[0]["rerank"] as? String, "stored")
    XCTAssertEqual(rows[0]["queries"] as? Int, 12)
    // MAP beside its chance level, and NDCG@k.
    XCTAssertGreaterThan(rows[0]["map_chance"] as? Double ?? 0, 0)
    XCTAssertNotNil(rows[0]["ndcg_at_k"] as? Double)
    let table = try runCMH(["eval", model, corpus, "--quiet"])
    XCTAssertTrue(table.1.contains("chance") && table.1.contains("NDCG@100"), table.1)
  }

  func testBadInputGetsClearMessages() throws {
    let (corpus, model) = try trained()
    let index = Self.folder.appendingPathComponent("index-bad").path
    XCTAssertEqual(try runCMH(["encode", model, corpus, "--out", index, "--quiet"]).0, 0)
    let unknown = try runCMH(["search", "text2image", model, index + "/image.cmhindex", "zebra giraffe"])
    XCTAssertNotEqual(unknown.0, 0)
    XCTAssertTrue(unknown.2.contains("none of the words of \"zebra giraffe\""), unknown.2)
    let wrongIndex = try runCMH(["search", "text2image", model, index + "/text.cmhindex", "red circle"])
    XCTAssertTrue(wrongIndex.2.contains("a text index"), wrongIndex.2)
    let notModel = try runCMH(["eval", index + "/text.cmhindex", corpus])
    XCTAssertTrue(notModel.2.contains("not a model file"), notModel.2)
    let noSplits = Self.folder.appendingPathComponent("nosplits").path
    XCTAssertEqual(try runCMH(["corpus", "make-shapes", "--out", noSplits, "--pairs", "20", "--size", "32", "--quiet"]).0, 0)
    try FileManager.default.removeItem(atPath: noSplits + "/splits")
    let train = try runCMH(["train", noSplits, "--out", Self.folder.appendingPathComponent("x.cmh").path] + Self.small)
    XCTAssertTrue(train.2.contains("cmh corpus split"), train.2)
  }

  func testIndexesOfAnotherModelAreRefused() throws {
    let (corpus, model) = try trained()
    let index = Self.folder.appendingPathComponent("index-fingerprint").path
    XCTAssertEqual(try runCMH(["encode", model, corpus, "--out", index, "--quiet"]).0, 0)
    let info = try runCMH(["index", "info", index + "/image.cmhindex", "--json"])
    XCTAssertTrue(info.1.contains("\"model_fingerprint\":\""), info.1)
    // The same codes, recorded as another model's: as if encoded by a model with the same bits.
    let original = try IndexFile(contentsOf: URL(fileURLWithPath: index + "/image.cmhindex"))
    let other = Self.folder.appendingPathComponent("other-image.cmhindex")
    try IndexFile.write(codes: BinaryCodes(words: original.codes.allWords, bits: original.bits), modality: .image,
                        items: (0..<original.count).map(original.item), modelFingerprint: 42, to: other)
    let refused = try runCMH(["search", "text2image", model, other.path, "a red circle"])
    XCTAssertNotEqual(refused.0, 0)
    XCTAssertTrue(refused.2.contains("written by another model") && refused.2.contains("--force"), refused.2)
    XCTAssertEqual(try runCMH(["search", "text2image", model, other.path, "a red circle", "--force"]).0, 0)
    XCTAssertEqual(try runCMH(["search", "text2image", model, index + "/image.cmhindex", "a red circle"]).0, 0, "its own index")
    let mixed = try runCMH(["index", "eval", index + "/query-text.cmhindex", other.path])
    XCTAssertTrue(mixed.2.contains("written by different models"), mixed.2)
    XCTAssertEqual(try runCMH(["index", "eval", index + "/query-text.cmhindex", other.path, "--force"]).0, 0)
  }

  func testOutputsThatCannotBeWrittenFailBeforeAnyWork() throws {
    // Once, `train` ran every epoch and then could not save. A file where a folder must be stands
    // for a read-only one (the tests run as root, whom permissions do not stop).
    let (corpus, model) = try trained()
    let blocker = Self.folder.appendingPathComponent("a-file").path
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
    let train = try runCMH(["train", corpus, "--epochs", "1", "--out", blocker + "/m.cmh"] + Self.small)
    XCTAssertNotEqual(train.0, 0)
    XCTAssertTrue(train.2.contains("--out") && train.2.contains("a-file"), train.2)
    XCTAssertFalse(train.1.contains("epoch"), train.1)
    for arguments in [["encode", model, corpus, "--out", blocker, "--quiet"], ["eval", model, corpus, "--svg", blocker + "/curves"]] {
      let (status, _, stderr) = try runCMH(arguments)
      XCTAssertNotEqual(status, 0, arguments.joined(separator: " "))
      XCTAssertTrue(stderr.contains("a-file"), stderr)
    }
    // --all indexes every pair and writes no query files.
    let whole = Self.folder.appendingPathComponent("index-all").path
    XCTAssertEqual(try runCMH(["encode", model, corpus, "--out", whole, "--all", "--quiet"]).0, 0)
    let info = try runCMH(["index", "info", whole + "/image.cmhindex"])
    XCTAssertTrue(info.1.contains("120 × 16 bits"), info.1)
    XCTAssertFalse(FileManager.default.fileExists(atPath: whole + "/query-image.cmhindex"))
    // A missing folder is made.
    let nested = Self.folder.appendingPathComponent("new/deeper").path
    XCTAssertEqual(try runCMH(["encode", model, corpus, "--out", nested, "--quiet"]).0, 0)
    XCTAssertTrue(FileManager.default.fileExists(atPath: nested + "/image.cmhindex"))
  }

  func testPretrainedWeightsAreLoadedByNameWithAReport() throws {
    let (corpus, _) = try trained()
    let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("ImageNetTests/Fixtures/resnet34-w4.pth").path
    let model = Self.folder.appendingPathComponent("pretrained.cmh").path
    let run = try runCMH(["train", corpus, "--arch", "resnet34", "--width", "4", "--input-size", "32", "--bits", "16", "--epochs", "1",
                          "--batch-size", "16", "--text-hidden", "32", "--pretrained", weights, "--out", model])
    XCTAssertEqual(run.0, 0, run.2)
    XCTAssertTrue(run.2.contains("loaded 216 tensors; missing (left as initialised) 2: hash.code.weight, hash.code.bias; unexpected (ignored) 2: fc.weight, fc.bias"), run.2)
    let wrong = try runCMH(["train", corpus, "--pretrained", weights, "--out", model, "--epochs", "1"] + Self.small)
    XCTAssertNotEqual(wrong.0, 0)
    XCTAssertTrue(wrong.2.contains("none of its tensors fits the compact10 image tower"), wrong.2)
  }

  func testFirstRunDecodesWhileTrainingAndLaterRunsReadTheCache() throws {
    let corpus = Self.folder.appendingPathComponent("streamed").path
    XCTAssertEqual(try runCMH(["corpus", "make-shapes", "--out", corpus, "--pairs", "200", "--size", "32", "--quiet"]).0, 0)
    let first = Self.folder.appendingPathComponent("streamed-1.cmh").path, second = Self.folder.appendingPathComponent("streamed-2.cmh").path
    XCTAssertEqual(try runCMH(["train", corpus, "--epochs", "2", "--out", first] + Self.small).0, 0)
    XCTAssertTrue(FileManager.default.fileExists(atPath: corpus + "/cache/pixels-32.cmhpix"))
    XCTAssertEqual(try runCMH(["train", corpus, "--epochs", "2", "--out", second] + Self.small).0, 0)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), try Data(contentsOf: URL(fileURLWithPath: second)),
                   "decoding while training must not change what is trained")
    // An image that cannot be decoded stops the run with its name; nothing is written.
    try FileManager.default.removeItem(atPath: corpus + "/cache")
    let train = try String(contentsOfFile: corpus + "/splits/train.txt", encoding: .utf8).split(separator: "\n")[3]
    let bad = URL(fileURLWithPath: corpus + "/images/\(train.dropFirst("shape".count)).jpg")
    try Data("not a jpeg".utf8).write(to: bad)
    let broken = Self.folder.appendingPathComponent("broken.cmh").path
    let run = try runCMH(["train", corpus, "--epochs", "2", "--out", broken] + Self.small)
    XCTAssertNotEqual(run.0, 0)
    XCTAssertTrue(run.2.contains(bad.path) && run.2.contains("nothing was saved"), run.2)
    XCTAssertFalse(FileManager.default.fileExists(atPath: broken))
    XCTAssertFalse(FileManager.default.fileExists(atPath: corpus + "/cache/pixels-32.cmhpix"))
  }

  /// The model of `trained()` had label epochs by default (a multi-label pixel corpus): the log
  /// marks them, the model file records them, and `--resume --epochs` counts the hashing epochs.
  func testLabelEpochsComeFirstAndResumeCountsTheCodeEpochs() throws {
    let (corpus, model) = try trained()
    let log = try String(contentsOfFile: model + ".log.jsonl", encoding: .utf8).split(separator: "\n")
      .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    XCTAssertEqual(log.map { $0["epoch_kind"] as? String }, ["labels", "labels", nil], "twice as many label epochs as epochs")
    let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: model)).prefix(4096), as: UTF8.self)
    XCTAssertTrue(header.contains("\"label_epochs\":2") && header.contains("\"label_weight\":1"), header)
    let copy = Self.folder.appendingPathComponent("copy.cmh").path
    try? FileManager.default.removeItem(atPath: copy + ".ckpt")
    try FileManager.default.copyItem(atPath: model + ".ckpt", toPath: copy + ".ckpt")
    let refused = try runCMH(["train", corpus, "--resume", "--epochs", "1", "--out", copy])
    XCTAssertTrue(refused.2.contains("already trained 1 epochs after 2 label epochs"), refused.2)
  }

  func testInterruptSavesACheckpointAndResumeFinishes() throws {
    let (corpus, _) = try trained()
    let model = Self.folder.appendingPathComponent("interrupted.cmh").path
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh")
    let process = Process(), err = Pipe()
    process.executableURL = binary
    process.arguments = ["train", corpus, "--epochs", "1000", "--label-epochs", "0", "--out", model] + Self.small
    process.standardOutput = FileHandle.nullDevice
    process.standardError = err
    try process.run()
    // Interrupt once the first epoch's checkpoint exists, so the run is surely in its loop.
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: model + ".ckpt") && Date() < deadline { usleep(50_000) }
    process.interrupt()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertNotEqual(process.terminationStatus, 0)
    XCTAssertTrue(message.contains("continue with --resume"), message)
    XCTAssertFalse(FileManager.default.fileExists(atPath: model))

    // A fast machine may finish several epochs before the interrupt arrives.
    let log = try String(contentsOfFile: model + ".log.jsonl", encoding: .utf8).split(separator: "\n")
    let done = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(log.last!.utf8)) as? [String: Any])?["epoch"] as? Int)
    let fewer = try runCMH(["train", corpus, "--resume", "--epochs", String(done), "--out", model])
    XCTAssertTrue(fewer.2.contains("already trained \(done) epochs"), fewer.2)
    let resumed = try runCMH(["train", corpus, "--resume", "--epochs", String(done + 2), "--out", model, "--json"])
    XCTAssertEqual(resumed.0, 0, resumed.2)
    let epochs = resumed.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    XCTAssertEqual(epochs.last?["epoch"] as? Int, done + 2)
    XCTAssertTrue(FileManager.default.fileExists(atPath: model))
  }
}
