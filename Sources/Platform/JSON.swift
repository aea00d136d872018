// JSON: the one encoder configuration of everything the project writes as JSON — keys sorted,
// slashes as they are — so that a record, a log line and a file read the same everywhere. Files
// whose bytes were fixed before (checkpoints, tensor archives, augmentation sets) keep JSON's
// escaped slashes: the same run must write the same bytes; corpus.json is indented for people.

import Foundation

public enum JSON {
  public static func encoder(escapingSlashes: Bool = false, pretty: Bool = false) -> JSONEncoder {
    let encoder = JSONEncoder()
    var formatting: JSONEncoder.OutputFormatting = [.sortedKeys]
    if !escapingSlashes { formatting.insert(.withoutEscapingSlashes) }
    if pretty { formatting.insert(.prettyPrinted) }
    encoder.outputFormatting = formatting
    return encoder
  }

  /// One value as a line of JSON text.
  public static func text<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try encoder().encode(value), as: UTF8.self)
  }
}
