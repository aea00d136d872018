// `cmh experiment table` through the binary, end to end on one small corpus: the table on stdout,
// the runs' progress on stderr, Ctrl-C that saves a checkpoint and says how to continue, and the
// same command continuing. The table itself is tested as a library (ExperimentsTests).

import Foundation
import Platform
import XCTest

final class ExperimentTableTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-table-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }
  func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

  func testCtrlCStopsATableThatTheSameCommandContinues() throws {
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "wikipedia", "--pairs", "240", "--out", path("wiki"), "--quiet"]).0, 0)
    let arguments = ["experiment", "table", path("wiki"), "--bits", "16,32", "--loss", "cauchy", "--epochs", "400",
                     "--image-hidden", "16", "--text-hidden", "16", "--out", path("table")]
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh")
    let process = Process(), checkpoint = path("table/wiki-cauchy-16.cmh.ckpt")
    process.executableURL = binary
    process.arguments = arguments
    // Waits for the first checkpoint, while ChildProcess drains the epoch rows on stderr.
    let (_, stderr) = try ChildProcess.run(process) { running in
      DispatchQueue.global().async {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(2_000) }
        running.interrupt()
      }
    }
    let message = String(decoding: stderr, as: UTF8.self)
    XCTAssertNotEqual(process.terminationStatus, 0, message)
    XCTAssertTrue(message.contains("run the same command again"), message)
    XCTAssertTrue(message.contains("epoch   image sim"), message)  // the epoch rows are progress here
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("table/table.md")))

    let continued = try runCMH(arguments)
    XCTAssertEqual(continued.0, 0, continued.2)
    XCTAssertTrue(continued.2.contains("resuming at epoch"), continued.2)
    XCTAssertTrue(continued.1.hasPrefix("### wiki"), continued.1)  // stdout is the table alone
    XCTAssertEqual(try String(contentsOfFile: path("table/table.md"), encoding: .utf8), continued.1)
  }
}
