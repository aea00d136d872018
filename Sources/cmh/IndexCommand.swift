// cmh index: look inside index files.

import ArgumentParser
import Foundation
import Search

struct IndexCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "index",
    abstract: "Inspect index files.",
    subcommands: [IndexInfoCommand.self, IndexVerifyCommand.self, IndexEvalCommand.self])
}

struct IndexInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Print what an index file holds: modality, bits, count, and its first items.",
    discussion: "Example: cmh index info cmh-demo/index/image.cmhindex --show 10")

  @Argument(help: "An index file written by `cmh encode`.") var file: String
  @Option(help: "How many items to list.") var show = 5
  @OptionGroup var output: OutputOptions

  func run() throws { try IndexReport.info(file, show: show, console: output.console) }
}

struct IndexVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check index files for damage: the header against the file, and the CRC-32 of everything after it.",
    discussion: """
      Opening an index maps it and checks its header in microseconds; the CRC-32 of the codes, outputs and \
      items is checked by every command once before it uses the index (about 13 ms for a million 64-bit \
      codes), and by this command on its own. The exit status is 1 when a file is damaged.

      Example: cmh index verify cmh-demo/index/*.cmhindex
      """)

  @Argument(help: "Index files written by `cmh encode`.") var files: [String]
  @OptionGroup var output: OutputOptions

  func validate() throws { guard !files.isEmpty else { throw ValidationError("give at least one index file") } }

  func run() throws {
    let damaged = IndexReport.verify(files, console: output.console)
    guard damaged == 0 else { throw CommandError("\(damaged) of \(files.count) index file\(files.count == 1 ? "" : "s") damaged") }
  }
}
