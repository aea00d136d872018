// cmh bench: performance measurements, printed as a table or as JSON lines.

import ArgumentParser
import Benchmarks
import Foundation
import Platform

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure performance (JSON lines with --json).",
    subcommands: [BenchEngineCommand.self, BenchImageCommand.self, BenchTrainCommand.self, BenchSearchCommand.self, BenchServeCommand.self, BenchQueryCommand.self])
}

extension OutputOptions {
  /// Says on a terminal which figure was just measured (a long bench otherwise looks stuck).
  func measured(_ r: BenchResult) {
    if !json && isatty(STDERR_FILENO) == 1 { console.note("measured \(r.name) …") }
  }
}
