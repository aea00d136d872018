// Seeded mutation fuzzing of every file reader, through the binary as a user would meet a damaged
// file: each mutation is written where a command reads it, and the command must end with a
// message, never a trap or a hang. `make test` runs a few mutations per reader with a fixed seed;
// `make fuzz` runs CMH_FUZZ_ITERATIONS of them (CMH_FUZZ_SEED for another sequence). A file that
// crashed is kept in $TMPDIR/cmh-fuzz-crashes, and its name printed, to become a test.

import Foundation
import Platform
import TestSupport
import XCTest
@testable import Hashing

final class FuzzTests: XCTestCase {
  static let iterations = Int(ProcessInfo.processInfo.environment["CMH_FUZZ_ITERATIONS"] ?? "") ?? 12
  static let seed = UInt64(ProcessInfo.processInfo.environment["CMH_FUZZ_SEED"] ?? "") ?? 1
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-fuzz-\(getpid())")
  static let crashes = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-fuzz-crashes")
  static let small = ["--bits", "16", "--arch", "compact10", "--input-size", "32", "--width", "8", "--image-hidden", "32",
                      "--text-hidden", "32", "--batch-size", "16", "--quiet"]

  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

  /// A 40-pair pixel corpus, a model trained on it for one epoch with its checkpoint, its indexes,
  /// and a feature corpus: the seeds of the mutations, made once.
  func seeds() throws {
    if FileManager.default.fileExists(atPath: path("index/text.cmhindex")) { return }
    for command in [["corpus", "make-shapes", "--out", path("corpus"), "--pairs", "40", "--size", "32", "--quiet"],
                    ["train", path("corpus"), "--epochs", "1", "--out", path("model.cmh")] + Self.small,
                    ["encode", path("model.cmh"), path("corpus"), "--all", "--out", path("index"), "--quiet"],
                    ["corpus", "make-features", "--like", "wikipedia", "--pairs", "60", "--out", path("features"), "--quiet"]] {
      let run = try launchCMH(command)
      XCTAssertEqual(run.status, 0, "\(command): \(run.stderr)")
    }
  }

  func testIndexFiles() throws {
    try seeds()
    // Every other mutation gets a checksum that matches again, so that the checks behind it are reached.
    var n = 0
    try fuzz("index", seed: path("index/image.cmhindex"), at: path("mutated.cmhindex"), fix: { data in
      n += 1
      guard n % 2 == 0, data.count >= 80 else { return data }
      var sealed = data
      let crc = sealed.withUnsafeBytes { CRC32.of($0.baseAddress! + 80, count: $0.count - 80) }
      withUnsafeBytes(of: crc.littleEndian) { sealed.replaceSubrange(64..<68, with: $0) }
      return sealed
    }) {
      ["index", "eval", self.path("mutated.cmhindex"), self.path("index/text.cmhindex"), "--k", "5"]
    }
  }

  func testModelFiles() throws {
    try seeds()
    try fuzz("model", seed: path("model.cmh"), at: path("mutated.cmh"), fix: Self.resealedArchive()) {
      ["search", "text2image", self.path("mutated.cmh"), self.path("index/image.cmhindex"), "a red circle", "--quiet"]
    }
  }

  func testCheckpoints() throws {
    try seeds()
    try fuzz("checkpoint", seed: path("model.cmh.ckpt"), at: path("resumed.cmh.ckpt"), fix: Self.resealedArchive()) {
      ["train", self.path("corpus"), "--resume", "--epochs", "2", "--out", self.path("resumed.cmh"), "--quiet"]
    }
  }

  func testImages() throws {
    try seeds()
    try fuzz("image", seed: path("corpus/images/000000.jpg"), at: path("mutated.jpg")) {
      ["search", "image2text", self.path("model.cmh"), self.path("index/text.cmhindex"), self.path("mutated.jpg"), "--quiet"]
    }
  }

  func testPairsFiles() throws {
    try seeds()
    let copy = Self.folder.appendingPathComponent("copy")
    try? FileManager.default.removeItem(at: copy)
    try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
    for name in ["corpus.json", "splits"] { try FileManager.default.copyItem(atPath: path("corpus/\(name)"), toPath: copy.appendingPathComponent(name).path) }
    try FileManager.default.createSymbolicLink(atPath: copy.appendingPathComponent("images").path, withDestinationPath: path("corpus/images"))
    try fuzz("pairs.jsonl", seed: path("corpus/pairs.jsonl"), at: copy.appendingPathComponent("pairs.jsonl").path) { ["corpus", "validate", copy.path] }
  }

  func testFeatureMatrices() throws {
    try seeds()
    let copy = Self.folder.appendingPathComponent("features-copy")
    try? FileManager.default.removeItem(at: copy)
    try FileManager.default.copyItem(atPath: path("features"), toPath: copy.path)
    try fuzz(".npy", seed: path("features/features/image.npy"), at: copy.appendingPathComponent("features/image.npy").path) { ["corpus", "validate", copy.path] }
  }

  func testManifests() throws {
    try seeds()
    let manifest = Self.folder.appendingPathComponent("manifest.jsonl")
    try """
    {"image": "corpus/images/000000.jpg", "text": "a red circle", "labels": ["red", "circle"]}
    {"image": "corpus/images/000001.jpg", "text": "a blue star", "labels": ["blue", "star"]}
    """.write(to: manifest, atomically: true, encoding: .utf8)
    try fuzz("manifest", seed: manifest.path, at: path("mutated-manifest.jsonl")) {
      ["corpus", "import", "folder", "--manifest", self.path("mutated-manifest.jsonl"), "--out", self.path("imported")]
    }
  }

  func testPixelCaches() throws {
    try seeds()
    // A corpus copy whose images are the seed corpus's; its first evaluation writes the cache that seeds the mutations.
    let copy = try corpusCopy("cache-copy")
    let evaluate = ["eval", path("model.cmh"), copy.path, "--rerank", "none", "--quiet"]
    XCTAssertEqual(try launchCMH(evaluate).status, 0)
    let cache = copy.appendingPathComponent("cache/pixels-32.cmhpix")
    try? FileManager.default.removeItem(atPath: path("pixels-seed.cmhpix"))
    try FileManager.default.copyItem(atPath: cache.path, toPath: path("pixels-seed.cmhpix"))
    let before = try FileManager.default.attributesOfItem(atPath: cache.path)[.modificationDate] as? Date
    XCTAssertEqual(try launchCMH(evaluate).status, 0)
    XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: cache.path)[.modificationDate] as? Date, before, "the seed cache must be read, not rebuilt")
    var n = 0
    try fuzz("pixel cache", seed: path("pixels-seed.cmhpix"), at: cache.path, fix: { data in
      n += 1
      guard n % 2 == 0, data.count >= 64 else { return data }
      var sealed = data  // the blocks' CRC-32 made to match again, so the header's other checks are reached
      let crc = sealed.withUnsafeBytes { CRC32.of($0.baseAddress! + 64, count: $0.count - 64) }
      withUnsafeBytes(of: crc.littleEndian) { sealed.replaceSubrange(32..<36, with: $0) }
      return sealed
    }) { evaluate }
  }

  func testMatFiles() throws {
    try seeds()
    // MATLAB v5: a 128-byte header, then LAll (20 × 3 labels) and YAll (20 × 6 counts), plain doubles.
    let matrix = { (name: String, rows: Int, columns: Int, value: (Int, Int) -> Double) -> [UInt8] in
      MatV5Writer.matrix(name, rows: rows, columns: columns, columnMajor: (0..<columns).flatMap { c in (0..<rows).map { r in value(r, c) } }, storeAsUInt8: false)
    }
    let file = MatV5Writer.header() + matrix("LAll", 20, 3) { r, c in (r + c) % 3 == 0 ? 1 : 0 } + matrix("YAll", 20, 6) { r, c in Double((r * c) % 3) }
    try Data(file).write(to: URL(fileURLWithPath: path("seed.mat")))
    try? FileManager.default.removeItem(atPath: path("mat-corpus"))
    let imported = try launchCMH(["corpus", "import", "mat", "--labels", path("seed.mat"), "--texts", path("seed.mat"), "--out", path("mat-corpus"), "--json", "--quiet"])
    XCTAssertEqual(imported.status, 0, "the seed must import: \(imported.stderr)")
    let summary = try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any]
    // Rows 0, 3, 6, … of YAll hold no word ((r · c) mod 3 is 0 in every column): 7 of the 20 pairs are dropped, and said so.
    XCTAssertEqual(summary?["kept"] as? Int, 13, imported.stdout)
    XCTAssertEqual((summary?["dropped"] as? [String: Any])?["without a word"] as? Int, 7, imported.stdout)
    XCTAssertEqual(summary?["labels"] as? Int, 3, imported.stdout)
    try fuzz(".mat", seed: path("seed.mat"), at: path("mutated.mat")) {
      try? FileManager.default.removeItem(atPath: self.path("mat-corpus"))
      return ["corpus", "import", "mat", "--labels", self.path("mutated.mat"), "--texts", self.path("mutated.mat"), "--out", self.path("mat-corpus")]
    }
  }

  func testMatV73Files() throws {
    try seeds()
    // MATLAB v7.3 (HDF5, read through libhdf5): LAll (20 × 3 labels) and YAll (20 × 6 counts).
    let seed = URL(fileURLWithPath: path("seed-v73.mat"))
    try MatV73Writer.write([.init("LAll", rows: 20, columns: 3, columnMajor: (0..<60).map { Double(($0 % 20 + $0 / 20) % 3 == 0 ? 1 : 0) }),
                            .init("YAll", rows: 20, columns: 6, columnMajor: (0..<120).map { Double(($0 % 20) * ($0 / 20) % 3) })], to: seed)
    try? FileManager.default.removeItem(atPath: path("mat73-corpus"))
    let imported = try launchCMH(["corpus", "import", "mat", "--labels", seed.path, "--texts", seed.path, "--out", path("mat73-corpus"), "--json", "--quiet"])
    XCTAssertEqual(imported.status, 0, "the seed must import: \(imported.stderr)")
    let summary = try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: Any]
    XCTAssertEqual(summary?["kept"] as? Int, 13, imported.stdout)  // as the v5 seed: rows 0, 3, 6, … hold no word
    try fuzz(".mat v7.3", seed: seed.path, at: path("mutated-v73.mat")) {
      try? FileManager.default.removeItem(atPath: self.path("mat73-corpus"))
      return ["corpus", "import", "mat", "--labels", self.path("mutated-v73.mat"), "--texts", self.path("mutated-v73.mat"), "--out", self.path("mat73-corpus")]
    }
  }

  /// A v7.3 file (kept by the fuzzer, mutation 4915 of seed 1) on which libhdf5 1.10 itself
  /// dereferences a null pointer while it lists the variables: read in a child process, the crash
  /// is reported as damage and the import ends with a message.
  func testAFileThatCrashesLibHDF5IsReported() throws {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v73-crashes-libhdf5.mat").path
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-hdf5-crash-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let run = try launchCMH(["corpus", "import", "mat", "--labels", file, "--texts", file, "--out", out])
    XCTAssertFalse(run.crashed, run.stderr)
    XCTAssertEqual(run.status, 1)
    XCTAssertTrue(run.stderr.contains(file) && run.stderr.contains("libhdf5 crashed reading it"), run.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
  }

  /// A folder with the seed corpus's corpus.json, pairs.jsonl and splits, its images linked.
  func corpusCopy(_ name: String) throws -> URL {
    let copy = Self.folder.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: copy)
    try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
    for item in ["corpus.json", "pairs.jsonl", "splits"] { try FileManager.default.copyItem(atPath: path("corpus/\(item)"), toPath: copy.appendingPathComponent(item).path) }
    try FileManager.default.createSymbolicLink(atPath: copy.appendingPathComponent("images").path, withDestinationPath: path("corpus/images"))
    return copy
  }

  /// For model and checkpoint files: every other mutation gets its CRC-32 trailer (the same CRC as
  /// index files') made to match again, so that the checks behind it are reached.
  static func resealedArchive() -> (Data) -> Data {
    var n = 0
    return { data in
      n += 1
      guard n % 2 == 0, data.count >= 24 else { return data }
      var sealed = data
      let crc = sealed.withUnsafeBytes { CRC32.of($0.baseAddress!, count: $0.count - 4) }
      withUnsafeBytes(of: crc.littleEndian) { sealed.replaceSubrange((data.count - 4)..<data.count, with: $0) }
      return sealed
    }
  }

  /// Writes `iterations` mutations of `seed` to `target`, runs `command` on each, and fails on a
  /// crash or a hang (a crashing file is kept in `crashes`).
  func fuzz(_ reader: String, seed: String, at target: String, iterations: Int = FuzzTests.iterations, fix: (Data) -> Data = { $0 },
            command: () -> [String]) throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: seed))
    // Each reader its own sequence, the same on every run.
    var g = Mutator(seed: Self.seed &+ reader.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
    var failures = 0
    for i in 0..<iterations {
      let mutated = fix(g.mutate(original))
      try mutated.write(to: URL(fileURLWithPath: target))
      let run = try launchCMH(command(), timeLimit: 120)
      guard run.crashed || run.timedOut else { continue }
      failures += 1
      let kept = Self.crashes.appendingPathComponent("\(reader)-\(Self.seed)-\(i)-\(run.timedOut ? "hang" : "crash")").path
      try? FileManager.default.createDirectory(at: Self.crashes, withIntermediateDirectories: true)
      try? FileManager.default.removeItem(atPath: kept)
      try? FileManager.default.copyItem(atPath: target, toPath: kept)
      XCTFail("\(reader) mutation \(i) (seed \(Self.seed)) \(run.timedOut ? "hung" : "crashed"): kept as \(kept)\n\(run.stderr.suffix(400))")
    }
    print("fuzz \(reader): \(iterations) mutations, \(failures) crashes or hangs")
  }
}

/// Byte-level mutations: bit flips, boundary values written over 1–8 bytes, cuts, repeated or
/// removed runs, and for text, numbers replaced by boundary numbers.
struct Mutator {
  var state: UInt64
  init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

  mutating func next() -> UInt64 {  // SplitMix64
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

  mutating func mutate(_ data: Data) -> Data {
    var b = [UInt8](data)
    guard !b.isEmpty else { return Data([0]) }
    for _ in 0...below(3) {
      switch below(6) {
      case 0:
        for _ in 0...below(8) { b[below(b.count)] ^= UInt8(1 << below(8)) }
      case 1:
        let values: [[UInt8]] = [[0], [0xFF], [0x7F], [0x80], [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0x80], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
                                 [0, 0, 0, 0, 0, 0, 0, 0x80], [1, 0, 0, 0], [0, 0, 0, 0]]
        let v = values[below(values.count)], at = below(b.count)
        for (j, byte) in v.enumerated() where at + j < b.count { b[at + j] = byte }
      case 2:
        b.removeLast(below(b.count))
      case 3:
        let at = below(b.count), length = min(b.count - at, 1 + below(64))
        b.insert(contentsOf: b[at..<(at + length)], at: below(b.count))
      case 4:
        let at = below(b.count)
        b.removeSubrange(at..<min(b.count, at + 1 + below(64)))
      default:
        replaceNumber(&b)
      }
      if b.isEmpty { b = [0] }
    }
    return Data(b)
  }

  /// A run of ASCII digits (with its sign) replaced by a boundary number.
  mutating func replaceNumber(_ b: inout [UInt8]) {
    let starts = b.indices.filter { (0x30...0x39).contains(b[$0]) && ($0 == 0 || !(0x30...0x39).contains(b[$0 - 1])) }
    guard !starts.isEmpty else { return }
    let start = starts[below(starts.count)]
    var end = start
    while end < b.count && (0x30...0x39).contains(b[end]) { end += 1 }
    let numbers = ["0", "-1", "-2147483649", "2147483648", "9223372036854775807", "18446744073709551616", "1e308", "-0", "NaN", "3"]
    b.replaceSubrange(start..<end, with: Array(numbers[below(numbers.count)].utf8))
  }
}
