// Multipart: the parts of a multipart/form-data body (RFC 7578), as a browser's file upload sends
// them: each part's name, file name and bytes.

import Foundation

struct Multipart {
  struct Part {
    let name: String
    let filename: String?
    let data: Data
  }

  /// The boundary named by a Content-Type header, if it is multipart/form-data.
  static func boundary(contentType: String) -> String? {
    let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
    guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
    for field in fields.dropFirst() where field.lowercased().hasPrefix("boundary=") {
      let value = field.dropFirst("boundary=".count)
      return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
    }
    return nil
  }

  /// The parts of `body`; throws a message when it is not well formed.
  static func parts(_ body: Data, boundary: String) throws -> [Part] {
    let delimiter = Data("--\(boundary)".utf8), crlf = Data("\r\n".utf8), headerEnd = Data("\r\n\r\n".utf8)
    guard !boundary.isEmpty, var cursor = body.range(of: delimiter)?.upperBound else { throw MultipartError("no part starts with the boundary") }
    var parts = [Part]()
    while true {
      if body[cursor...].starts(with: Data("--".utf8)) { return parts }  // the closing delimiter
      guard body[cursor...].starts(with: crlf), let headersEnd = body.range(of: headerEnd, in: cursor..<body.endIndex) else {
        throw MultipartError("a part has no headers")
      }
      // A part may have no header lines: the blank line then follows the delimiter's CRLF at once,
      // and the header block ends where it starts.
      let headers = String(decoding: body[min(cursor + 2, headersEnd.lowerBound)..<headersEnd.lowerBound], as: UTF8.self)
      guard let next = body.range(of: crlf + delimiter, in: headersEnd.upperBound..<body.endIndex) else { throw MultipartError("the body ends inside a part") }
      let disposition = headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }.map(String.init) ?? ""
      parts.append(Part(name: parameter("name", in: disposition) ?? "", filename: parameter("filename", in: disposition),
                        data: Data(body[headersEnd.upperBound..<next.lowerBound])))
      cursor = next.upperBound
    }
  }

  /// A `key="value"` parameter of a Content-Disposition header.
  private static func parameter(_ key: String, in header: String) -> String? {
    for field in header.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where field.hasPrefix("\(key)=") {
      let value = field.dropFirst(key.count + 1)
      return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
    }
    return nil
  }
}

struct MultipartError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = "malformed multipart/form-data: \(description)" }
}
