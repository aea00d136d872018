// Tests of the MATLAB v5 reader on files written here (compressed and plain elements, small
// data elements, uint8 data in double arrays), bad files, and the real MIRFlickr-25K files.

import Corpus
import Foundation
import TestSupport
import XCTest

final class MatFileTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-mat-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func write(_ bytes: [UInt8], _ name: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
  }

  func testCompressedPlainAndNarrowStorage() throws {
    // LAll: 3 × 2, stored as uint8 inside a compressed element; F: 2 × 2 doubles, plain; s: 1 × 1 (small element).
    let labels = MatV5Writer.matrix("LAll", rows: 3, columns: 2, columnMajor: [1, 0, 1, 0, 1, 1], storeAsUInt8: true)
    let features = MatV5Writer.matrix("F", rows: 2, columns: 2, columnMajor: [0.5, -1.25, 3, 4], storeAsUInt8: false)
    let scalar = MatV5Writer.matrix("s", rows: 1, columns: 1, columnMajor: [7], storeAsUInt8: true)
    let url = try write(MatV5Writer.header() + MatV5Writer.compressed(labels) + features + scalar, "a.mat")
    let file = try MatFile(contentsOf: url)
    let l = try file.array("LAll")
    XCTAssertEqual(l.dimensions, [3, 2])
    XCTAssertEqual((0..<3).map { l.at($0, 1) }, [0, 1, 1])
    XCTAssertEqual(try file.array("F").at(1, 0), -1.25)
    XCTAssertEqual(try file.array("s").values, [7])
    XCTAssertThrowsError(try file.array("YAll")) { XCTAssertTrue("\($0)".contains("no variable \"YAll\" (it has: F, LAll, s)"), "\($0)") }
  }

  /// Fuzzing found these (`make fuzz`, .mat target, seed 3): a small data element claiming more
  /// than its 4 bytes, and dimensions that are negative or whose product passes Int, trapped.
  func testDamagedElementsAndDimensionsAreErrors() throws {
    let le = MatV5Writer.le
    let flags = MatV5Writer.element(6, le(6) + le(0)), dims = MatV5Writer.element(5, le(2) + le(1))
    let claiming = le(UInt32(0x8000) << 16 | 1) + Array("LAll".utf8)  // a name "small element" of 32,768 bytes
    let bad = MatV5Writer.element(14, flags + dims + claiming + MatV5Writer.element(9, [UInt8](repeating: 0, count: 16)))
    XCTAssertThrowsError(try MatFile(contentsOf: try write(MatV5Writer.header() + bad, "small.mat"))) {
      XCTAssertTrue("\($0)".contains("claims 32768 bytes; at most 4 fit"), "\($0)")
    }
    for (rows, columns) in [(-1, 2), (Int(Int32.max), Int(Int32.max))] {
      var body = MatV5Writer.element(6, le(6) + le(0)) + MatV5Writer.element(5, le(UInt32(bitPattern: Int32(rows))) + le(UInt32(bitPattern: Int32(columns))))
      body += MatV5Writer.element(1, Array("LAll".utf8)) + MatV5Writer.element(9, [UInt8](repeating: 0, count: 16))
      XCTAssertThrowsError(try MatFile(contentsOf: try write(MatV5Writer.header() + MatV5Writer.element(14, body), "dims.mat"))) {
        XCTAssertTrue("\($0)".contains("are not a matrix size") || "\($0)".contains("values for dimensions"), "\($0)")
      }
    }
  }

  func testVersion73ThroughHDF5() throws {
    let url = directory.appendingPathComponent("v73.mat")
    try MatV73Writer.write([.init("LAll", rows: 3, columns: 2, columnMajor: [1, 0, 1, 0, 1, 1])], to: url)
    let file = try MatFile(contentsOf: url)
    let l = try file.array("LAll")
    XCTAssertEqual(l.dimensions, [3, 2])
    XCTAssertEqual((0..<3).map { l.at($0, 1) }, [0, 1, 1])
    XCTAssertEqual((0..<3).map { l.at($0, 0) }, [1, 0, 1])
    var bytes = try Data(contentsOf: url)
    bytes = bytes.prefix(700)
    try bytes.write(to: url)
    XCTAssertThrowsError(try MatFile(contentsOf: url)) { XCTAssertTrue("\($0)".contains("HDF5 cannot open"), "\($0)") }
  }

  /// A v7.3 file (kept by the fuzzer) whose YAll claims dimensions of 2.8 · 10¹⁵ bytes: once a
  /// failed allocation, now refused by name before anything is allocated.
  func testVersion73WithImpossibleDimensions() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v73-huge-dimensions.mat")
    XCTAssertThrowsError(try MatFile(contentsOf: url)) {
      XCTAssertTrue("\($0)".contains(url.path) && "\($0)".contains("the file is damaged"), "\($0)")
    }
  }

  func testBadFiles() throws {
    func expect(_ bytes: [UInt8], _ words: String) throws {
      let url = try write(bytes, "bad.mat")
      XCTAssertThrowsError(try MatFile(contentsOf: url)) { XCTAssertTrue("\($0)".contains(url.path) && "\($0)".contains(words), "\($0)") }
    }
    let good = MatV5Writer.header() + MatV5Writer.compressed(MatV5Writer.matrix("x", rows: 2, columns: 2, columnMajor: [1, 2, 3, 4], storeAsUInt8: false))
    try expect(Array(good.prefix(good.count - 10)), "truncated")
    var corrupt = good
    corrupt[good.count - 20] ^= 0xFF
    try expect(corrupt, "corrupt")
    try expect(Array("MATLAB 7.3 MAT-file".utf8) + [UInt8](repeating: 32, count: 200), "HDF5 cannot open")
    try expect(Array("just text".utf8) + [UInt8](repeating: 32, count: 200), "not a MATLAB v5")
  }

  /// The real MIRFlickr-25K files of ../shared (skipped where the shared folder is absent).
  func testImportRefusesDamagedLabelMatrices() throws {
    // 3 pairs, 2 labels, 4 words: a good import first, then each damage named.
    func file(_ name: String, _ variable: String, rows: Int, columns: Int, _ values: [Double]) throws -> URL {
      try write(MatV5Writer.header() + MatV5Writer.matrix(variable, rows: rows, columns: columns, columnMajor: values, storeAsUInt8: false), name)
    }
    let texts = try file("y.mat", "YAll", rows: 3, columns: 4, [1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1])
    let good = try file("l.mat", "LAll", rows: 3, columns: 2, [1, 0, 1, 0, 1, 1])
    XCTAssertEqual(try MatImporter.importCorpus(MatImportSettings(labels: good, texts: texts), into: directory).0.pairs.count, 3)
    let transposed = try file("lt.mat", "LAll", rows: 2, columns: 3, [1, 0, 0, 1, 1, 1])
    XCTAssertThrowsError(try MatImporter.importCorpus(MatImportSettings(labels: transposed, texts: texts), into: directory)) {
      XCTAssertTrue("\($0)".contains("lt.mat: LAll is 2×3 but YAll has 3 rows: LAll looks transposed"), "\($0)")
    }
    var cube = MatV5Writer.element(6, MatV5Writer.le(6) + MatV5Writer.le(0)) + MatV5Writer.element(5, [3, 2, 2].flatMap { MatV5Writer.le($0) })
    cube += MatV5Writer.element(1, Array("LAll".utf8)) + MatV5Writer.element(9, [Double](repeating: 1, count: 12).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    let threeD = try write(MatV5Writer.header() + MatV5Writer.element(14, cube), "l3.mat")
    XCTAssertThrowsError(try MatImporter.importCorpus(MatImportSettings(labels: threeD, texts: texts), into: directory)) {
      XCTAssertTrue("\($0)".contains("l3.mat: LAll is 3×2×2, expected a 2-D matrix (pairs × labels)"), "\($0)")
    }
    let nan = try file("ln.mat", "LAll", rows: 3, columns: 2, [1, 0, 1, 0, .nan, 1])
    XCTAssertThrowsError(try MatImporter.importCorpus(MatImportSettings(labels: nan, texts: texts), into: directory)) {
      XCTAssertTrue("\($0)".contains("ln.mat: LAll holds nan at row 2, column 2: expected finite numbers"), "\($0)")
    }
  }

  func testImportOfTheRealMIRFlickrFiles() throws {
    let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/mirflickr25k").standardized
    guard FileManager.default.fileExists(atPath: shared.appendingPathComponent("mirflickr25k-lall.mat").path) else {
      throw XCTSkip("../shared/data/mirflickr25k is not here (it comes with the project's shared folder)")
    }
    var settings = MatImportSettings(labels: shared.appendingPathComponent("mirflickr25k-lall.mat"), texts: shared.appendingPathComponent("mirflickr25k-yall.mat"))
    settings.vocabulary = shared.appendingPathComponent("TagList_1386_from_MITH.txt")
    let (corpus, summary) = try MatImporter.importCorpus(settings, into: directory.appendingPathComponent("mirflickr"))
    XCTAssertEqual(summary.kept, 20_015)
    XCTAssertEqual(corpus.pairs.count, 20_015)
    XCTAssertEqual(corpus.info.labels.count, 24)
    // LAll's column sums (computed independently with scipy): 8,463 for the most frequent label, 179 for the rarest.
    XCTAssertEqual(CorpusStats(corpus).labelCounts, [2647, 179, 644, 986, 3230, 581, 4614, 1554, 813, 6320, 704, 4743,
                                                     2243, 7848, 7413, 2740, 811, 1133, 6818, 8463, 1840, 2450, 3981, 2885])
    XCTAssertEqual(corpus.info.textVocabulary?.count, 1386)
    XCTAssertEqual(corpus.textFeatures?.columns, 1386)
    XCTAssertEqual(corpus.textFeatures?.values.reduce(0, +), 92_808)  // tag occurrences in YAll
    XCTAssertEqual(corpus.pairs[0].labels, [6, 13, 15, 18, 19])
    try corpus.write(to: directory.appendingPathComponent("mirflickr"))
    let reloaded = try Corpus.load(directory.appendingPathComponent("mirflickr"))
    XCTAssertEqual(reloaded.pairs, corpus.pairs)
  }
}
