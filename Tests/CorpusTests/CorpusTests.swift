// Tests of the corpus format: round trip, errors that name the file and line, validation, splits,
// feature files, JPEG, and the built-in synthetic corpus.

import Foundation
import XCTest
@testable import Corpus

final class CorpusTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-corpus-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func small(_ name: String = "c", pairs: Int = 120, seed: UInt64 = 3) throws -> Corpus {
    var corpus = try ShapesCorpus.generate(into: directory.appendingPathComponent(name), settings: ShapesCorpusSettings(pairs: pairs, size: 24, seed: seed))
    corpus.splits = try Splits.protocolSplit(corpus.pairs, queries: 12, train: 60, seed: 0)
    try corpus.write(to: corpus.directory)
    return corpus
  }

  func testRoundTripAndValidation() throws {
    let corpus = try small()
    let loaded = try Corpus.load(corpus.directory)
    XCTAssertEqual(loaded.pairs, corpus.pairs)
    XCTAssertEqual(loaded.info, corpus.info)
    XCTAssertEqual(loaded.splits, corpus.splits)
    XCTAssertEqual(loaded.validate(), [])
  }

  func testGenerationIsDeterministicAndLongTailed() throws {
    let a = try small("a", seed: 5), b = try small("b", seed: 5), c = try small("c", seed: 6)
    XCTAssertEqual(a.pairs, b.pairs)
    XCTAssertEqual(try Data(contentsOf: a.imageURL(a.pairs[7])!), try Data(contentsOf: b.imageURL(b.pairs[7])!))
    XCTAssertNotEqual(a.pairs.map(\.text), c.pairs.map(\.text))
    let tailed = try ShapesCorpus.generate(into: directory.appendingPathComponent("t"), settings: ShapesCorpusSettings(pairs: 3000, size: 16, imbalance: 20, seed: 1))
    let counts = CorpusStats(tailed).labelCounts
    let scenes = Array(counts[16..<24])
    XCTAssertGreaterThan(Double(scenes[0]) / Double(max(scenes[7], 1)), 8, "scene head/tail ratio with --imbalance 20: \(scenes)")
    let image = try JPEG.decode(Data(contentsOf: tailed.imageURL(tailed.pairs[0])!))
    XCTAssertEqual([image.width, image.height], [16, 16])
  }

  func testCaptionsNameWhatIsDrawn() throws {
    let corpus = try small(pairs: 200)
    // Every shape drawn is named by one of its synonyms, except where a typo hit that word.
    var named = 0, shapes = 0
    for pair in corpus.pairs {
      let text = pair.text!.lowercased()
      for shape in pair.labels where shape < 8 {
        shapes += 1
        if ShapesVocabulary.synonyms[shape].contains(where: { text.contains($0) }) { named += 1 }
      }
      XCTAssertEqual(pair.labels.filter { $0 >= 16 }.count, 1, "one scene per image")
    }
    XCTAssertGreaterThan(Double(named) / Double(shapes), 0.95)
    XCTAssertTrue(corpus.pairs.allSatisfy { !$0.labels.isEmpty && $0.labels.allSatisfy { (0..<24).contains($0) } })
  }

  func testErrorsNameFileAndLine() throws {
    let corpus = try small()
    let pairs = corpus.directory.appendingPathComponent("pairs.jsonl")
    var lines = try String(contentsOf: pairs, encoding: .utf8).split(separator: "\n").map(String.init)
    lines[4] = #"{"id": "broken", "labels": "not a list"}"#
    try (lines.joined(separator: "\n") + "\n").write(to: pairs, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try Corpus.load(corpus.directory)) {
      XCTAssertEqual("\($0)", "\(pairs.path):5: expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: field \"labels\" has the wrong type")
    }
    lines[4] = #"{"id": "x5", "labels": [0]"#
    try (lines.joined(separator: "\n") + "\n").write(to: pairs, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try Corpus.load(corpus.directory)) { XCTAssertTrue("\($0)".hasPrefix("\(pairs.path):5: "), "\($0)") }
    try corpus.write(to: corpus.directory)
    try "shape000001\nno-such-pair\n".write(to: corpus.directory.appendingPathComponent("splits/query.txt"), atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try Corpus.load(corpus.directory)) { XCTAssertTrue("\($0)".hasSuffix("query.txt:2: pair id \"no-such-pair\" is not in pairs.jsonl"), "\($0)") }
    XCTAssertThrowsError(try Corpus.load(directory.appendingPathComponent("nothing"))) { XCTAssertTrue("\($0)".contains("corpus.json: missing")) }
  }

  func testLoadingRefusesLabelsOutOfRangeAndRepeatedIDs() throws {
    var corpus = try small()
    corpus.pairs[1].labels = [30]
    corpus.pairs[2].labels = [-1]
    try corpus.write(to: corpus.directory)
    XCTAssertThrowsError(try Corpus.load(corpus.directory)) {
      XCTAssertTrue("\($0)".hasSuffix("pairs.jsonl:2: label 30 outside 0..<24 (the labels of corpus.json) (and 1 more: `cmh corpus validate` lists them)"), "\($0)")
    }
    XCTAssertEqual(try Corpus.load(corpus.directory, checked: false).validate(checkImages: false).filter { $0.problem.hasPrefix("label") }.count, 2)
    corpus = try small()
    corpus.pairs[3].id = corpus.pairs[1].id
    try corpus.write(to: corpus.directory)
    XCTAssertThrowsError(try Corpus.load(corpus.directory)) { XCTAssertTrue("\($0)".hasSuffix("pairs.jsonl:4: id \"\(corpus.pairs[1].id)\" also on line 2"), "\($0)") }
  }

  func testValidationFindsEachProblem() throws {
    var corpus = try small()
    corpus.pairs[1].labels = [30]
    corpus.pairs[2].id = corpus.pairs[3].id
    corpus.pairs[4].text = "  "
    corpus.pairs[5].image = "images/missing.jpg"
    try Data("not a jpeg".utf8).write(to: corpus.imageURL(corpus.pairs[6])!)
    let whole = try Data(contentsOf: corpus.imageURL(corpus.pairs[8])!)
    try whole.prefix(whole.count * 7 / 10).write(to: corpus.imageURL(corpus.pairs[8])!)  // cut short: train would refuse it
    corpus.pairs[7].synthetic = true
    corpus.splits!.query.append(7)
    corpus.splits!.retrieval.removeAll { $0 == 7 }
    let problems = corpus.validate().map(\.description)
    let expected = ["pairs.jsonl:2: label 30 outside 0..<24", "pairs.jsonl:4: id \"shape000003\" also on line 3",
                    "pairs.jsonl:5: pair \"shape000004\" has an empty text", "pairs.jsonl:6: image images/missing.jpg is missing",
                    "pairs.jsonl:7: image images/000006.jpg: not a JPEG, PNG or WebP image",
                    "pairs.jsonl:9: image images/000008.jpg: not a readable JPEG: the file ends before its image data does", "query.txt: synthetic pair \"shape000007\" must be used for training only"]
    for e in expected { XCTAssertTrue(problems.contains { $0.contains(e) }, "expected a problem like \(e) in \(problems)") }
  }

  func testProtocolSplit() throws {
    var pairs = (0..<300).map { Pair(id: "p\($0)", image: nil, text: "t", labels: [0]) }
    pairs[10].synthetic = true
    let s = try Splits.protocolSplit(pairs, queries: 30, train: 100, seed: 4)
    XCTAssertEqual(s.query.count, 30)
    XCTAssertEqual(s.retrieval.count, 269)
    XCTAssertTrue(Set(s.query).isDisjoint(with: s.retrieval))
    XCTAssertEqual(s.train.count, 101)
    XCTAssertTrue(s.train.contains(10) && !s.query.contains(10) && !s.retrieval.contains(10))
    XCTAssertTrue(Set(s.train.filter { $0 != 10 }).isSubset(of: s.retrieval))
    XCTAssertEqual(s, try Splits.protocolSplit(pairs, queries: 30, train: 100, seed: 4))
    XCTAssertNotEqual(s, try Splits.protocolSplit(pairs, queries: 30, train: 100, seed: 5))
    XCTAssertThrowsError(try Splits.protocolSplit(pairs, queries: 400, train: 10, seed: 0))
  }

  func testFeatureFiles() throws {
    let m = FeatureMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4.5, -5, 6])
    let url = directory.appendingPathComponent("f.npy")
    try m.write(to: url)
    XCTAssertEqual(try FeatureMatrix.read(from: url), m)
    // A float64 file as numpy.save writes it.
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
    header += String(repeating: " ", count: 118 - header.count) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0]) + Data(header.utf8)
    for v in [0.25, -2.0] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    try data.write(to: url)
    XCTAssertEqual(try FeatureMatrix.read(from: url).values, [0.25, -2])
    try Data("plain text".utf8).write(to: url)
    XCTAssertThrowsError(try FeatureMatrix.read(from: url)) { XCTAssertTrue("\($0)".contains("not a NumPy .npy file")) }
    // Damaged headers found by the fuzzer: a size past Int (trapped when multiplied), a version-2
    // header cut inside its length field (trapped on reading it).
    var huge = "{'descr': '<f4', 'fortran_order': False, 'shape': (60, 18446744073709551616), }"
    huge += String(repeating: " ", count: 118 - huge.count) + "\n"
    try (Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(huge.count), 0]) + Data(huge.utf8)).write(to: url)
    XCTAssertThrowsError(try FeatureMatrix.read(from: url)) { XCTAssertTrue("\($0)".contains("is not two sizes"), "\($0)") }
    var wide = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
    wide += String(repeating: " ", count: 118 - wide.count) + "\n"
    try (Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(wide.count), 0]) + Data(wide.utf8)).write(to: url)
    XCTAssertThrowsError(try FeatureMatrix.read(from: url)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
    try Data([0x93] + Array("NUMPY".utf8) + [2, 0, 0x76, 0]).write(to: url)
    XCTAssertThrowsError(try FeatureMatrix.read(from: url)) { XCTAssertTrue("\($0)".contains("truncated .npy header"), "\($0)") }
  }

  func testJPEGDecodingHonoursExifOrientation() throws {
    // 32 wide, 16 high: left half red, right half blue.
    var pixels = [UInt8]()
    for _ in 0..<16 { for x in 0..<32 { pixels += x < 16 ? [230, 20, 20] : [20, 20, 230] } }
    let plain = try JPEG.encode(RGBImage(width: 32, height: 16, pixels: pixels))
    func withOrientation(_ value: UInt8, bigEndian: Bool) -> Data {
      let tiff: [UInt8] = bigEndian
        ? [0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, value, 0, 0, 0, 0, 0, 0]
        : [0x49, 0x49, 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, value, 0, 0, 0, 0, 0, 0, 0]
      let segment: [UInt8] = [0xFF, 0xE1, 0, UInt8(2 + 6 + tiff.count)] + Array("Exif".utf8) + [0, 0] + tiff
      return Data(plain.prefix(2)) + Data(segment) + Data(plain.dropFirst(2))
    }
    func red(_ image: RGBImage, _ x: Int, _ y: Int) -> Bool { image.pixels[(y * image.width + x) * 3] > 128 }
    XCTAssertEqual(JPEG.exifOrientation(plain), 1)
    let turned = try JPEG.decode(withOrientation(6, bigEndian: true))  // stored sideways, shown turned 90° clockwise
    XCTAssertEqual(JPEG.exifOrientation(withOrientation(6, bigEndian: true)), 6)
    XCTAssertEqual([turned.width, turned.height], [16, 32])
    XCTAssertTrue(red(turned, 8, 4))    // the left (red) half is now on top
    XCTAssertFalse(red(turned, 8, 28))
    let back = try JPEG.decode(withOrientation(8, bigEndian: false))  // turned 90° counter-clockwise
    XCTAssertEqual([back.width, back.height], [16, 32])
    XCTAssertFalse(red(back, 8, 4))
    XCTAssertTrue(red(back, 8, 28))
    let mirrored = try JPEG.decode(withOrientation(2, bigEndian: false))
    XCTAssertEqual([mirrored.width, mirrored.height], [32, 16])
    XCTAssertFalse(red(mirrored, 4, 8))
    XCTAssertTrue(red(mirrored, 28, 8))
  }

  func testJPEGRoundTripAndCorruptFiles() throws {
    let pixels = (0..<(20 * 10 * 3)).map { UInt8(($0 * 7) % 256) }
    let image = RGBImage(width: 20, height: 10, pixels: pixels)
    let decoded = try JPEG.decode(JPEG.encode(image, quality: 100))
    XCTAssertEqual([decoded.width, decoded.height], [20, 10])
    let error = zip(decoded.pixels, pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / pixels.count
    XCTAssertLessThan(error, 40, "mean absolute error of a quality-100 JPEG")
    let bytes = try JPEG.encode(image)
    XCTAssertThrowsError(try JPEG.decode(bytes.prefix(40))) { XCTAssertTrue("\($0)".contains("not a readable JPEG")) }
    XCTAssertThrowsError(try JPEG.decode(Data("GIF89a".utf8)))
  }

  /// Vocabulary and label-name files: UTF-8, or Latin-1 when they are not valid UTF-8 (older tag lists).
  func testListFilesReadUTF8AndLatin1() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-lines-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let utf8 = dir.appendingPathComponent("utf8.txt"), latin1 = dir.appendingPathComponent("latin1.txt")
    try Data("café\n\n  naïve \n".utf8).write(to: utf8)
    try Data([0x63, 0x61, 0x66, 0xE9, 0x0A, 0x6E, 0x61, 0xEF, 0x76, 0x65, 0x0A]).write(to: latin1)  // café, naïve in Latin-1
    XCTAssertEqual(try MatImporter.lines(utf8), ["café", "naïve"])
    XCTAssertEqual(try MatImporter.lines(latin1), ["café", "naïve"])
  }
}

final class PairsReaderTests: XCTestCase {
  func read(_ text: String) throws -> [Pair] {
    var reader = PairsReader(Data(text.utf8), path: "pairs.jsonl")
    return try reader.pairs()
  }

  func testEscapesNullsAndUnknownFields() throws {
    let pairs = try read(#"""
    {"id": "a", "image": null, "text": "caf\u00e9 \"quoted\" \ud83d\ude00 tab\tend", "labels": [3, 1], "extra": {"k": [1, {"x": "y"}]}, "synthetic": true}

    {"labels":[],"id":"日本語","text":"一只狗 on the beach"}
    """#)
    XCTAssertEqual(pairs, [
      Pair(id: "a", image: nil, text: "café \"quoted\" 😀 tab\tend", labels: [3, 1], synthetic: true),
      Pair(id: "日本語", image: nil, text: "一只狗 on the beach", labels: []),
    ])
  }

  func testErrorsGiveTheLine() {
    for (text, message) in [
      ("{\"id\": \"a\", \"labels\": [0]}\n{\"id\": \"b\"}\n", "pairs.jsonl:2: expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: field \"labels\" is missing"),
      ("\n\n{\"id\": \"a\", \"labels\": [0, x]}\n", "pairs.jsonl:3: expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: field \"labels\" has the wrong type"),
      ("{\"id\": \"a\", \"labels\": [0]} {\"id\": \"b\"}\n", "pairs.jsonl:1: expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: text after the object on the same line"),
      ("{\"id\": \"a, \"labels\": [0]}\n", "pairs.jsonl:1: expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: malformed JSON (expected ',' or '}')"),
    ] {
      XCTAssertThrowsError(try read(text)) { XCTAssertEqual("\($0)", message) }
    }
  }
}

final class ShapesMiniTests: XCTestCase {
  /// The committed corpora/shapes-mini is what its command generates (texts, labels, splits).
  func testCommittedCorpusIsReproducible() throws {
    let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../corpora/shapes-mini").standardized
    let corpus = try Corpus.load(committed)
    XCTAssertEqual(corpus.validate(), [])
    let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-mini-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: fresh) }
    var regenerated = try ShapesCorpus.generate(into: fresh, settings: ShapesCorpusSettings(pairs: 400, size: 32, seed: 7))
    let sizes = Splits.protocolSizes(realPairs: 400)
    regenerated.splits = try Splits.protocolSplit(regenerated.pairs, queries: sizes.queries, train: sizes.train, seed: 7)
    XCTAssertEqual(regenerated.pairs, corpus.pairs)
    XCTAssertEqual(regenerated.splits, corpus.splits)
    XCTAssertEqual(regenerated.info, corpus.info)
  }
}
