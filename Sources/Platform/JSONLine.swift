// JSONLine: one JSON object on one line for `--json` output, built through Codable so that any
// string (a path with a quote or a backslash) is escaped; keys sorted, numbers rounded to the
// places a table would show.

import Foundation

public struct JSONLine: Encodable {
  public enum Value: Encodable {
    case string(String), int(Int), unsigned(UInt64), number(Double, places: Int), strings([String]), object(JSONLine)

    /// The value as a table shows it: strings without quotes, numbers to their places.
    public var plain: String {
      switch self {
      case .string(let s): return s
      case .int(let n): return "\(n)"
      case .unsigned(let n): return "\(n)"
      case .number(let x, let places): return String(format: "%.\(min(places, 6))f", x)
      case .strings(let s): return s.joined(separator: ",")
      case .object(let o): return o.text
      }
    }

    /// A number with `%g`'s precision (learning rates and the like).
    public static func general(_ x: Double) -> Value { .number(x, places: 10) }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .string(let s): try c.encode(s)
      case .int(let n): try c.encode(n)
      case .unsigned(let n): try c.encode(n)
      case .number(let x, let places):
        let scale = pow(10, Double(places))
        try c.encode(x.isFinite ? (x * scale).rounded() / scale : 0)
      case .strings(let s): try c.encode(s)
      case .object(let o): try c.encode(o)
      }
    }
  }

  public let fields: [(String, Value)]

  public init(_ fields: [(String, Value)]) { self.fields = fields }

  /// Appends `line` and a newline to a log file, creating it when it is not there.
  public static func append(_ line: String, to log: URL) {
    guard let data = (line + "\n").data(using: .utf8) else { return }
    if let handle = try? FileHandle(forWritingTo: log) { handle.seekToEndOfFile(); handle.write(data); try? handle.close() }
    else { try? data.write(to: log) }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Key.self)
    for (key, value) in fields { try c.encode(value, forKey: Key(stringValue: key)) }
  }

  public var text: String {
    let encoder = JSON.encoder()
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }
}
