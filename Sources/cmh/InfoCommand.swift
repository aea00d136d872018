// cmh info: the processor, its vector units, the BLAS library and kernel, threads and build target.

import ArgumentParser
import Foundation
import Platform
import Tensor

struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the processor, BLAS library and kernel, threads and build target.",
    discussion: """
      cmh checks at start which kernel OpenBLAS chose; when it is below what the processor offers
      (a processor this OpenBLAS does not know gets its generic kernel), cmh starts again once with
      the best kernel the library has. OPENBLAS_CORETYPE set by you always wins.

      Example: cmh info --json
      """)

  @OptionGroup var output: OutputOptions

  func run() throws {
    let info = MachineInfo.current()
    if output.json { print(try MachineReport.json(info)); return }
    MachineReport.table(info).forEach { print($0) }
  }
}

/// The machine, as people and programs read it; benchmarks print it first.
enum MachineReport {
  static func table(_ info: MachineInfo) -> [String] {
    info.lines.map { $0.0.padding(toLength: 14, withPad: " ", startingAt: 0) + $0.1 }
  }

  static func json(_ info: MachineInfo) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(info), as: UTF8.self)
  }

  /// One line for the start of a long run: the processor and the BLAS kernel.
  static func kernelLine(_ info: MachineInfo) -> String {
    "\(info.processor), \(info.vectorLevel); OpenBLAS kernel \(info.kernelDescription); \(info.threads) threads"
  }

  /// The machine's lines ahead of a benchmark's figures: `{"machine": {...}}` with --json.
  static func printHeader(json: Bool) {
    let info = MachineInfo.current()
    if json, let line = try? Self.json(info) { print(#"{"machine": \#(line)}"#); return }
    table(info).forEach { print($0) }
    print("")
  }
}
