// Golden tests of `cmh … --help` for every command, and the rules every command's options keep:
// --json and --quiet on each, defaults written "(default: …)", an example in each command's help.
// CMH_UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change to the help.

import Foundation
import XCTest

final class HelpTests: XCTestCase {
  static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/help")

  /// Each help page once for both tests (about 40 runs of the binary).
  nonisolated(unsafe) static var pages: [(path: [String], text: String)]?

  /// The help of `cmh` and of every command under it, found by following the SUBCOMMANDS lists.
  func helpPages() throws -> [(path: [String], text: String)] {
    if let pages = Self.pages { return pages }
    var pages = [(path: [String], text: String)](), pending = [[String]()]
    while let path = pending.popLast() {
      let (status, text, stderr) = try runCMH(path + ["--help"], environment: ["COLUMNS": "100"])
      XCTAssertEqual(status, 0, stderr)
      pages.append((path, text))
      pending += Self.subcommands(text).map { path + [$0] }
    }
    Self.pages = pages.sorted { $0.path.joined(separator: " ") < $1.path.joined(separator: " ") }
    return Self.pages!
  }

  static func subcommands(_ help: String) -> [String] {
    guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
    return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
      .prefix { !$0.isEmpty }
      .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
      .compactMap { $0.split(separator: " ").first.map(String.init) }
  }

  func testHelpMatchesTheGoldenFiles() throws {
    let update = ProcessInfo.processInfo.environment["CMH_UPDATE_GOLDEN"] == "1"
    let pages = try helpPages()
    XCTAssertGreaterThan(pages.count, 35, "every command's help was reached")
    for page in pages {
      let file = Self.golden.appendingPathComponent((["cmh"] + page.path).joined(separator: "-") + ".txt")
      if update { try page.text.write(to: file, atomically: true, encoding: .utf8); continue }
      let expected = try? String(contentsOf: file, encoding: .utf8)
      XCTAssertEqual(page.text, expected, "cmh \(page.path.joined(separator: " ")) --help differs from \(file.lastPathComponent) (CMH_UPDATE_GOLDEN=1 to accept)")
    }
    let names = Set(pages.map { (["cmh"] + $0.path).joined(separator: "-") + ".txt" })
    let stale = try FileManager.default.contentsOfDirectory(atPath: Self.golden.path).filter { !names.contains($0) }
    XCTAssertEqual(stale, [], "golden files of commands that no longer exist")
  }

  func testEveryCommandKeepsTheSharedRules() throws {
    for page in try helpPages() where Self.subcommands(page.text).isEmpty && !page.path.isEmpty {
      let name = "cmh " + page.path.joined(separator: " ")
      XCTAssertTrue(page.text.contains("  --json ") && page.text.contains("  --quiet "), "\(name): --json and --quiet")
      XCTAssertTrue(page.text.contains("Example"), "\(name): an example")
      XCTAssertFalse(page.text.contains("Default:") || page.text.range(of: #"\(default [^:]"#, options: .regularExpression) != nil,
                     "\(name): a default not written as (default: …)")
      if let seed = page.text.range(of: "  --seed <seed> ") {
        let help = page.text[seed.upperBound...].prefix(300).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(help.contains("(default: 1)"), "\(name): --seed defaults to 1 everywhere")
      }
      if let svg = page.text.range(of: "  --svg <svg> ") {
        XCTAssertTrue(page.text[svg.upperBound...].prefix(120).contains("folder"), "\(name): --svg names a folder")
      }
    }
  }
}
