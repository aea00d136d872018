// Tests of the "did you mean" check for mistyped subcommands and help topics, through the binary.

import Foundation
import XCTest

final class CommandSuggestionTests: XCTestCase {
  func testMistypedCommandsNameTheNearestAndFail() throws {
    let cases = [(["serch", "model", "index", "query"], "'serch' is not a command of 'cmh'. Did you mean 'search'?"),
                 (["corpus", "imprt", "x"], "'imprt' is not a command of 'cmh corpus'. Did you mean 'import'?"),
                 (["bench", "engin"], "Did you mean 'engine'?"), (["evla", "m", "c"], "Did you mean 'eval'?")]
    for (arguments, expected) in cases {
      let (status, _, stderr) = try runCMH(arguments)
      XCTAssertEqual(status, 64, arguments.joined(separator: " "))
      XCTAssertTrue(stderr.contains(expected), stderr)
    }
    let (status, _, stderr) = try runCMH(["xyzzyq"])
    XCTAssertEqual(status, 64)
    XCTAssertFalse(stderr.contains("Did you mean"), stderr)
    XCTAssertTrue(stderr.contains("Commands: demo, info, corpus"), stderr)
  }

  func testHelpTopics() throws {
    let (status, _, stderr) = try runCMH(["help", "nonsense"])
    XCTAssertEqual(status, 64)
    XCTAssertTrue(stderr.contains("no help topic 'nonsense'"), stderr)
    for topic in [["help", "train"], ["help", "corpus", "import"], ["index", "--help"]] {
      let (ok, out, err) = try runCMH(topic)
      XCTAssertEqual(ok, 0, err)
      XCTAssertTrue(out.contains("USAGE"), out)
    }
  }

  func testKnownCommandsReachTheirOwnChecks() throws {
    // Past the command words the command's own parsing answers: here, a missing model file.
    let (status, _, stderr) = try runCMH(["search", "text2image", "/nonexistent/m.cmh", "/nonexistent/i.cmhindex", "a red circle"])
    XCTAssertEqual(status, 1)
    XCTAssertTrue(stderr.contains("/nonexistent/m.cmh"), stderr)
  }
}
