// Tests of index files: round trip through mmap, items with any text, and each kind of bad file.

import Foundation
import Platform
import XCTest
@testable import Hashing

final class IndexFileTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-index-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func sample(bits: Int = 72, count: Int = 50) throws -> (URL, BinaryCodes, [IndexItem]) {
    let codes = randomCodes(count, bits: bits, seed: 40)
    let items = (0..<count).map { IndexItem(id: "pair-\($0)", display: $0 % 2 == 0 ? "images/\($0).jpg" : "一只狗 on the beach #\($0)", labels: $0 % 3 == 0 ? [] : ["dog", "beach, sandy"]) }
    let url = directory.appendingPathComponent("image.cmhindex")
    try IndexFile.write(codes: codes, modality: .text, items: items, to: url)
    return (url, codes, items)
  }

  func testRoundTrip() throws {
    let (url, codes, items) = try sample()
    let index = try IndexFile(contentsOf: url)
    XCTAssertEqual(index.bits, 72)
    XCTAssertEqual(index.count, 50)
    XCTAssertEqual(index.modality, .text)
    XCTAssertEqual(index.codes.allWords, codes.allWords)
    XCTAssertEqual((0..<50).map(index.item), items)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["image.cmhindex"], "no temporary file left")
    // Searching the mapped codes gives what searching the originals gives.
    let queries = randomCodes(3, bits: 72, seed: 41)
    XCTAssertEqual(HammingSearch.topK(queries, in: index.codes, k: 5), HammingSearch.topK(queries, in: codes, k: 5))
  }

  func testCodesWithBitsPastTheirLengthAreRefused() throws {
    // Found by the fuzzer: a 16-bit code with a higher bit set made distances past 16, which
    // wrote outside the distance histograms of the metrics.
    let codes = BinaryCodes(words: [0x00FF, 0x0001, 0x0F0F], bits: 16)
    let url = directory.appendingPathComponent("padded.cmhindex")
    try IndexFile.write(codes: codes, modality: .image, items: (0..<3).map { IndexItem(id: "\($0)", display: "") }, to: url)
    XCTAssertNoThrow(try IndexFile(contentsOf: url))
    var bytes = try Data(contentsOf: url)
    bytes[80 + 8 + 2] = 1  // bit 16 of code 1 (the codes start at byte 80, one word each)
    try resealed(bytes).write(to: url)
    XCTAssertThrowsError(try IndexFile(contentsOf: url)) { XCTAssertTrue("\($0)".contains("code 1 has bits set past its 16 bits"), "\($0)") }
  }

  func testModelFingerprint() throws {
    let (url, codes, items) = try sample()
    XCTAssertNil(try IndexFile(contentsOf: url).modelFingerprint, "0 in the header: unknown, as in files written before fingerprints")
    XCTAssertNoThrow(try IndexFile(contentsOf: url).checkModel(7, modelPath: "m.cmh"), "an index without a fingerprint passes")
    try IndexFile.write(codes: codes, modality: .text, items: items, modelFingerprint: 0xABCD_EF01_2345_6789, to: url)
    let index = try IndexFile(contentsOf: url)
    XCTAssertEqual(index.modelFingerprint, 0xABCD_EF01_2345_6789)
    XCTAssertNoThrow(try index.checkModel(0xABCD_EF01_2345_6789, modelPath: "m.cmh"))
    XCTAssertThrowsError(try index.checkModel(0x42, modelPath: "m.cmh")) {
      XCTAssertTrue("\($0)".contains("written by another model (fingerprint abcdef0123456789) than m.cmh (0000000000000042)"), "\($0)")
    }
  }

  func testEmptyIndex() throws {
    let url = directory.appendingPathComponent("empty.cmhindex")
    try IndexFile.write(codes: BinaryCodes(bits: 16, count: 0), modality: .image, items: [], to: url)
    XCTAssertEqual(try IndexFile(contentsOf: url).count, 0)
  }

  func testBadFilesNameThePathAndTheProblem() throws {
    let (url, _, _) = try sample()
    let bytes = try Data(contentsOf: url)
    func expect(_ data: Data, _ words: String, file: StaticString = #filePath, line: UInt = #line) throws {
      let bad = directory.appendingPathComponent("bad.cmhindex")
      try data.write(to: bad)
      XCTAssertThrowsError(try IndexFile(contentsOf: bad), file: file, line: line) { error in
        XCTAssertTrue("\(error)".contains(bad.path) && "\(error)".contains(words), "\(error)", file: file, line: line)
      }
    }
    try expect(Data("just some text, not an index at all, long enough for a header of 64 bytes".utf8), "not a cmh index")
    try expect(bytes.prefix(bytes.count - 7), "truncated")
    try expect(bytes.prefix(40), "40 bytes: shorter than an index header")
    // Size and offset fields with the top bit set once trapped in a conversion.
    for field in [16, 32, 40, 48] {
      var damaged = bytes
      damaged[field + 7] |= 0x80
      try expect(damaged, field == 48 ? "truncated" : "do not fit")
    }
    var version = bytes; version[8] = 4
    try expect(version, "version 4")
    var bits = bytes; bits[12] = 3; bits[13] = 0
    try expect(bits, "3 bits")
    XCTAssertThrowsError(try IndexFile(contentsOf: directory)) { XCTAssertTrue("\($0)".contains("a folder, not an index file"), "\($0)") }
    XCTAssertThrowsError(try IndexFile(contentsOf: directory.appendingPathComponent("missing.cmhindex"))) {
      XCTAssertTrue("\($0)".contains("missing.cmhindex"))
    }
    // A damaged item table shows an empty field instead of trapping.
    let index = try IndexFile(contentsOf: url)
    var table = bytes
    let itemTable = 80 + 50 * 2 * 8  // the header, then 50 codes of two words
    table[itemTable + 8 + 7] |= 0x80  // the end of item 0's id, the start of its display
    let damaged = directory.appendingPathComponent("table.cmhindex")
    try resealed(table).write(to: damaged)
    let opened = try IndexFile(contentsOf: damaged)
    XCTAssertEqual(opened.item(0).id, "")
    XCTAssertEqual(opened.item(0).display, "")
    XCTAssertEqual(opened.item(1).id, "pair-1")
    XCTAssertThrowsError(try index.checkQueryBits(64)) { XCTAssertTrue("\($0)".contains("72-bit codes but the query has 64 bits")) }
  }

  func testAnyFlippedByteAfterTheHeaderFailsTheChecksum() throws {
    let (url, _, _) = try sample()
    let bytes = try Data(contentsOf: url)
    // Every region: the codes, the item table (its last offset too), the strings, the last byte.
    let table: Int = 80 + 50 * 2 * 8, end: Int = bytes.count
    let edges: [Int] = [80, 85, table, table + 8, table + 150 * 8 + 3, end - 9, end - 1]
    let positions: [Int] = edges + Array(stride(from: 81, to: end, by: 97))
    var opened = 0
    for (n, at) in positions.enumerated() {
      var damaged = bytes
      damaged[at] ^= UInt8(1 << (n % 8))
      let bad = directory.appendingPathComponent("flipped.cmhindex")
      try damaged.write(to: bad)
      // Opening checks the header only; a damaged body that still fits it is found by verify().
      guard let index = try? IndexFile(contentsOf: bad) else { continue }
      opened += 1
      XCTAssertThrowsError(try index.verify(), "byte \(at)") {
        XCTAssertTrue("\($0)".contains("the checksum does not match") && "\($0)".contains("the file is damaged"), "\($0)")
      }
      XCTAssertThrowsError(try IndexFile.verified(bad), "byte \(at)")
    }
    XCTAssertGreaterThan(opened, positions.count / 2, "most flips leave the header whole, so verify() is what finds them")
  }

  func testLabelsWithCommasRoundTripAndUnstorableLabelsAreRefused() throws {
    let (url, _, items) = try sample()
    XCTAssertEqual(try IndexFile(contentsOf: url).item(1).labels, ["dog", "beach, sandy"])
    XCTAssertEqual(items[1].labels, ["dog", "beach, sandy"])
    let codes = randomCodes(1, bits: 16, seed: 3)
    XCTAssertThrowsError(try IndexFile.write(codes: codes, modality: .image, items: [IndexItem(id: "a", display: "", labels: ["x\u{0}y"])], to: url)) {
      XCTAssertTrue("\($0)".contains("item a: a label is empty or holds the character U+0000"), "\($0)")
    }
  }

  func testStoredOutputsRoundTripAndVersionTwoFilesAreStillRead() throws {
    let rows: [[Float]] = (0..<5).map { i in (0..<24).map { j in Float((i * 7 + j * 3) % 11) - 5 } }
    let codes = BinaryCodes(signs: rows, bits: 24), stored = StoredOutputs(quantizing: rows, dimension: 24)
    let items = (0..<5).map { IndexItem(id: "\($0)", display: "t\($0)", labels: ["a"]) }
    let url = directory.appendingPathComponent("outputs.cmhindex")
    try IndexFile.write(codes: codes, modality: .text, items: items, outputs: stored, to: url)
    let index = try IndexFile(contentsOf: url)
    XCTAssertEqual(index.version, 3)
    XCTAssertEqual(Array(index.outputs!.bytes), Array(stored.bytes))
    XCTAssertEqual(index.item(4), items[4])
    XCTAssertEqual(index.codes.allWords, codes.allWords)
    // The outputs' offset must be where the codes end.
    var bytes = try Data(contentsOf: url)
    bytes[72] &+= 8
    let bad = directory.appendingPathComponent("bad-outputs.cmhindex")
    try resealed(bytes).write(to: bad)
    XCTAssertThrowsError(try IndexFile(contentsOf: bad)) { XCTAssertTrue("\($0)".contains("stored outputs start at byte"), "\($0)") }
    // Version 2: the same layout without outputs.
    try IndexFile.write(codes: codes, modality: .text, items: items, to: url)
    var two = try Data(contentsOf: url)
    XCTAssertEqual(two[72..<80], Data(count: 8))
    two[8] = 2
    try two.write(to: url)
    let older = try IndexFile(contentsOf: url)
    XCTAssertEqual(older.version, 2)
    XCTAssertNil(older.outputs)
    XCTAssertEqual(older.item(2), items[2])
  }

  func testVersionOneFilesAreStillRead() throws {
    // Version 1: a 64-byte header without a checksum, labels joined by commas.
    let codes = randomCodes(3, bits: 16, seed: 5)
    let fields = ["a", "photos/a.jpg", "dog,beach", "b", "photos/b.jpg", "", "c", "photos/c.jpg", "sky"]
    var blob = Data(), offsets = [UInt64(0)]
    for f in fields { blob.append(contentsOf: f.utf8); offsets.append(UInt64(blob.count)) }
    var data = IndexFile.magic
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    let strings = 64 + 3 * 8, size = strings + offsets.count * 8 + blob.count
    put(UInt32(1)); put(UInt32(16)); put(UInt64(3)); put(UInt32(0)); put(UInt32(3))
    put(UInt64(64)); put(UInt64(strings)); put(UInt64(size)); put(UInt64(0))
    data.append(Data(bytes: codes.words, count: 24))
    for o in offsets { put(o) }
    data.append(blob)
    let url = directory.appendingPathComponent("v1.cmhindex")
    try data.write(to: url)
    let index = try IndexFile(contentsOf: url)
    XCTAssertEqual(index.version, 1)
    XCTAssertEqual(index.codes.allWords, codes.allWords)
    XCTAssertEqual((0..<3).map(index.item), [IndexItem(id: "a", display: "photos/a.jpg", labels: ["dog", "beach"]),
                                             IndexItem(id: "b", display: "photos/b.jpg"), IndexItem(id: "c", display: "photos/c.jpg", labels: ["sky"])])
  }

  /// `bytes` with the header's checksum made to match again (to reach the checks behind it).
  private func resealed(_ bytes: Data) -> Data {
    var data = bytes
    let crc = data.withUnsafeBytes { CRC32.of($0.baseAddress! + 80, count: $0.count - 80) }
    withUnsafeBytes(of: crc.littleEndian) { data.replaceSubrange(64..<68, with: $0) }
    return data
  }
}
