// Tests of the tensor archive format: round trip of metadata and tensors, and atomic writes.

import Foundation
import Platform
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

  func testAtomicFolderReplacesTheSetAndKeepsOtherFiles() throws {
    let parent = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-atomic-folder-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: parent) }
    let folder = parent.appendingPathComponent("index")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, text) in [("a.cmhindex", "old a"), ("b.cmhindex", "old b"), ("notes.txt", "mine")] {
      try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    struct Failure: Error {}
    XCTAssertThrowsError(try AtomicFolder.replace(folder) { t in
      try "new a".write(to: t.appendingPathComponent("a.cmhindex"), atomically: true, encoding: .utf8)
      throw Failure()
    })
    XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("a.cmhindex"), encoding: .utf8), "old a", "a failed write leaves the old set")
    try AtomicFolder.replace(folder) { t in
      for name in ["a.cmhindex", "b.cmhindex"] { try "new".write(to: t.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    }
    for (name, text) in [("a.cmhindex", "new"), ("b.cmhindex", "new"), ("notes.txt", "mine")] {
      XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8), text, name)
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["index"], "no temporary folder left")
    // A run killed between its two renames left the folder aside: the next run puts it back first.
    try FileManager.default.moveItem(at: folder, to: parent.appendingPathComponent(".index.old-99999999"))
    try AtomicFolder.replace(folder) { t in try "newer".write(to: t.appendingPathComponent("a.cmhindex"), atomically: true, encoding: .utf8) }
    XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("b.cmhindex"), encoding: .utf8), "new", "the set aside came back")
    XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("a.cmhindex"), encoding: .utf8), "newer")
  }
}
