// cmh bench: performance measurements, printed as a table or as JSON lines.

import ArgumentParser
import Foundation
import Platform
import Tensor

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure performance (JSON lines with --json).",
    subcommands: [BenchEngineCommand.self, BenchImageCommand.self, BenchTrainCommand.self, BenchSearchCommand.self, BenchServeCommand.self, BenchQueryCommand.self])
}

/// One measured figure; printed as a JSON line or a table row.
struct BenchResult {
  let name: String
  let unit: String
  let value: Double
  var parameters: [(String, JSONLine.Value)] = []

  init(name: String, unit: String, value: Double, parameters: [(String, JSONLine.Value)] = []) {
    self.name = name; self.unit = unit; self.value = value; self.parameters = parameters
  }

  /// A rate: `items` per second of the median run, and of the fastest run as the `best` parameter
  /// (on a shared machine the fastest run is the steadier figure to compare).
  init(rate name: String, unit: String, items: Int, seconds: (median: Double, best: Double), parameters: [(String, JSONLine.Value)]) {
    self.init(name: name, unit: unit, value: Double(items) / seconds.median,
              parameters: [("best", .number(Double(items) / seconds.best, places: 2))] + parameters)
  }

  var json: String {
    JSONLine([("bench", .string(name)), ("unit", .string(unit)), ("value", .number(value, places: 2))] + parameters).text
  }
}

extension OutputOptions {
  /// Says on a terminal which figure was just measured (a long bench otherwise looks stuck).
  func measured(_ r: BenchResult) {
    guard !quiet && !json && isatty(STDERR_FILENO) == 1 else { return }
    FileHandle.standardError.write(Data("measured \(r.name) …\n".utf8))
  }
}

enum BenchTiming {
  /// The median of `repeats` timed runs after one warm-up run, in seconds.
  static func median(repeats: Int, _ body: () -> Void) -> Double { times(repeats: repeats, body).median }

  /// The median and the fastest of `repeats` timed runs after one warm-up run, in seconds (on a
  /// shared machine the fastest run is the steadier figure to compare).
  static func times(repeats: Int, _ body: () -> Void) -> (median: Double, best: Double) {
    body()
    var times = [Double]()
    for _ in 0..<max(1, repeats) {
      let start = DispatchTime.now().uptimeNanoseconds
      body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return (times[times.count / 2], times[0])
  }

  /// Prints results as JSON lines or as an aligned table.
  static func report(_ results: [BenchResult], json: Bool) {
    if json { results.forEach { print($0.json) }; return }
    let width = max(28, (results.map(\.name.count).max() ?? 0) + 2)
    for r in results {
      let params = r.parameters.map { "\($0.0)=\($0.1.plain)" }.joined(separator: " ")
      print(r.name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%10.2f %-9@ ", r.value, r.unit) + params)
    }
  }
}
