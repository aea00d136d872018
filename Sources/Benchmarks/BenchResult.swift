// BenchResult: one measured figure, printed as a JSON line or a table row; BenchTiming: the
// median and fastest of timed runs, and the report of a benchmark's figures. BenchError: a
// benchmark that could not measure what it should.

import Foundation
import Platform

/// One measured figure; printed as a JSON line or a table row.
public struct BenchResult {
  public let name: String
  public let unit: String
  public let value: Double
  public var parameters: [(String, JSONLine.Value)] = []

  public init(name: String, unit: String, value: Double, parameters: [(String, JSONLine.Value)] = []) {
    self.name = name; self.unit = unit; self.value = value; self.parameters = parameters
  }

  /// A rate: `items` per second of the median run, and of the fastest run as the `best` parameter
  /// (on a shared machine the fastest run is the steadier figure to compare).
  public init(rate name: String, unit: String, items: Int, seconds: (median: Double, best: Double), parameters: [(String, JSONLine.Value)]) {
    self.init(name: name, unit: unit, value: Double(items) / seconds.median,
              parameters: [("best", .number(Double(items) / seconds.best, places: 2))] + parameters)
  }

  public var json: String {
    JSONLine([("bench", .string(name)), ("unit", .string(unit)), ("value", .number(value, places: 2))] + parameters).text
  }
}

public struct BenchError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

public enum BenchTiming {
  /// The median of `repeats` timed runs after one warm-up run, in seconds.
  public static func median(repeats: Int, _ body: () -> Void) -> Double { times(repeats: repeats, body).median }

  /// The median and the fastest of `repeats` timed runs after one warm-up run, in seconds (on a
  /// shared machine the fastest run is the steadier figure to compare).
  public static func times(repeats: Int, _ body: () -> Void) -> (median: Double, best: Double) {
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
  public static func report(_ results: [BenchResult], json: Bool) {
    if json { results.forEach { print($0.json) }; return }
    let width = max(28, (results.map(\.name.count).max() ?? 0) + 2)
    for r in results {
      let params = r.parameters.map { "\($0.0)=\($0.1.plain)" }.joined(separator: " ")
      print(r.name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%10.2f %-9@ ", r.value, r.unit) + params)
    }
  }
}
