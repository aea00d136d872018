// Tests of `cmh serve` as a person runs it: it starts on the index folder `cmh encode` wrote,
// answers, and on SIGTERM lets a request in flight finish and exits cleanly; bad options are
// refused before it listens.

import Foundation
import Server
import XCTest

final class ServeCommandTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-serve-cli-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

  func testServesAndStopsCleanlyOnSIGTERM() throws {
    for command in [["corpus", "make-shapes", "--out", path("corpus"), "--pairs", "60", "--size", "16", "--quiet"],
                    ["train", path("corpus"), "--epochs", "1", "--out", path("model.cmh")] + FuzzTests.small,
                    ["encode", path("model.cmh"), path("corpus"), "--all", "--out", path("index"), "--quiet"]] {
      let run = try launchCMH(command)
      XCTAssertEqual(run.status, 0, "\(command): \(run.stderr)")
    }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh")
    let process = Process(), out = Pipe()
    process.executableURL = binary
    process.arguments = ["serve", "--model", path("model.cmh"), "--index", path("index"), "--port", "0", "--json"]
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    let first = out.fileHandleForReading.availableData
    let listening = try XCTUnwrap(JSONSerialization.jsonObject(with: first) as? [String: Any], String(decoding: first, as: UTF8.self))
    let port = try XCTUnwrap(listening["port"] as? Int)
    let client = LoopbackClient(port: port)
    XCTAssertEqual(try client.send("GET", "/health").status, 200)
    XCTAssertEqual(try client.json("/api/search/text", ["query": "a red circle", "k": 3]).status, 200)

    // A request sent just before the signal is answered; then the process ends by itself.
    final class Status: @unchecked Sendable { var value = -1 }
    let status = Status(), answered = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      status.value = (try? LoopbackClient(port: port).json("/api/search/text", ["query": "a blue star at night", "k": 50]).status) ?? -2
      answered.signal()
    }
    usleep(2_000)
    kill(process.processIdentifier, SIGTERM)
    XCTAssertEqual(answered.wait(timeout: .now() + 10), .success)
    XCTAssertTrue([200, -2].contains(status.value), "in flight: answered, or refused before it was accepted (\(status.value))")
    let deadline = Date().addingTimeInterval(15)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    XCTAssertFalse(process.isRunning, "cmh serve did not stop on SIGTERM")
    XCTAssertEqual(process.terminationStatus, 0)
  }

  func testBadOptionsAreRefusedBeforeListening() throws {
    for (arguments, words) in [(["serve", "--model", path("none.cmh"), "--index", path("index")], "none.cmh"),
                               (["serve", "--model", "m.cmh"], "name at least one index"),
                               (["serve", "--model", "m.cmh", "--index", "x", "--port", "70000"], "--port 70000")] {
      let run = try launchCMH(arguments, timeLimit: 30)
      XCTAssertNotEqual(run.status, 0, "\(arguments)")
      XCTAssertFalse(run.crashed || run.timedOut, "\(arguments)")
      XCTAssertTrue(run.stderr.contains(words), "\(arguments): \(run.stderr)")
    }
  }
}
