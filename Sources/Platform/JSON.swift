// JSON: the one encoder configuration of everything the project writes as JSON — keys sorted,
// slashes as they are — so that a record, a log line and a file read the same everywhere.

import Foundation

public enum JSON {
  public static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  /// One value as a line of JSON text.
  public static func text<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try encoder().encode(value), as: UTF8.self)
  }
}
