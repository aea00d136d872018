// Tests of the tensor archive format: round trip of metadata and tensors, and atomic writes.

import Foundation
import Tensor
import XCTest

final class TensorArchiveTests: XCTestCase {
  func testRoundTrip() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString).bin")
    defer { try? FileManager.default.removeItem(at: url) }
    let tensors = [("a", Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])), ("empty", Tensor(zeros: [0])), ("s", Tensor(shape: [1], values: [-1.5]))]
    try TensorArchive(metadata: Data(#"{"k": 1}"#.utf8), tensors: tensors).write(to: url, magic: "TESTMAGI")
    let read = try TensorArchive.read(from: url, magic: "TESTMAGI", what: "test file")
    XCTAssertEqual(String(decoding: read.metadata, as: UTF8.self), #"{"k": 1}"#)
    XCTAssertEqual(read.tensors.map(\.0), ["a", "empty", "s"])
    XCTAssertEqual(read.tensors[0].1.shape, [2, 3])
    XCTAssertEqual(read.tensors[0].1.scalars, [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(read.tensors[2].1.scalars, [-1.5])
    XCTAssertThrowsError(try TensorArchive.read(from: url, magic: "OTHERMAG", what: "model"))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path).filter { $0.contains(url.lastPathComponent + ".tmp") }
    XCTAssertEqual(leftovers, [])
  }

  func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stale-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("model.cmh.ckpt")
    let finished = Process()  // a process id that no longer runs
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let names = [".model.cmh.ckpt.tmp-\(finished.processIdentifier)", ".model.cmh.ckpt.tmp-1", ".model.cmh.ckpt.tmp-\(getpid())",
                 ".model.cmh.tmp-\(finished.processIdentifier)", ".model.cmh.ckpt.tmp-notapid"]
    for name in names { try Data("x".utf8).write(to: folder.appendingPathComponent(name)) }
    XCTAssertEqual(AtomicFile.removeStaleTemporaries(of: target), 1)
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    XCTAssertEqual(left, Set(names.dropFirst()), "only the dead process's temporary of this file goes; a running one's (pid 1, this one) stays")
  }

  func testMissingFileNamesThePath() {
    XCTAssertThrowsError(try TensorArchive.read(from: URL(fileURLWithPath: "/nonexistent/x.ckpt"), magic: Checkpoint.magic, what: "checkpoint")) {
      XCTAssertTrue("\($0)".contains("/nonexistent/x.ckpt"))
    }
  }
}
