// LoopbackClient: a minimal HTTP/1.1 client with one kept-alive connection to this machine — for
// the load test and the tests, which must not depend on anything outside the project.

import Foundation

public final class LoopbackClient {
  public struct Reply: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: Data
    public var text: String { String(decoding: body, as: UTF8.self) }
  }

  public struct ClientError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
  }

  private let port: Int
  private var socket: Int32 = -1
  private var buffer = Data()

  public init(port: Int) { self.port = port }
  deinit { disconnect() }

  /// Sends one request and reads the whole reply (reconnecting when the server closed the connection).
  public func send(_ method: String, _ path: String, body: Data = Data(), headers: [String: String] = [:]) throws -> Reply {
    if socket < 0 { try connect() }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    let request = Data((head + "\r\n").utf8) + body
    do {
      try write(request)
      return try readReply(bodyless: method == "HEAD")
    } catch {
      disconnect()
      throw error
    }
  }

  public func json(_ path: String, _ object: [String: Any]) throws -> Reply {
    try send("POST", path, body: try JSONSerialization.data(withJSONObject: object), headers: ["Content-Type": "application/json"])
  }

  /// Sends raw bytes and reads nothing (a test's half-sent request).
  public func sendRaw(_ data: Data) throws {
    if socket < 0 { try connect() }
    try write(data)
  }

  /// Sends raw bytes (a request as a hostile client frames it) and reads the reply; with
  /// `endWriting` the client's side of the connection is shut after them; a read that waits more
  /// than `seconds` fails.
  public func exchange(_ data: Data, endWriting: Bool = false, seconds: Int = 30) throws -> Reply {
    if socket < 0 { try connect() }
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    do {
      try write(data)
      if endWriting { shutdown(socket, Int32(SHUT_WR)) }
      return try readReply()
    } catch {
      disconnect()
      throw error
    }
  }

  /// Reads until the server closes the connection (or resets it) or `seconds` pass; true when it closed.
  public func waitForClose(seconds: Int) -> Bool {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = recv(socket, &chunk, chunk.count, 0)
      if n == 0 || (n < 0 && errno == ECONNRESET) { disconnect(); return true }
      if n < 0 { return false }
    }
  }

  public func disconnect() {
    if socket >= 0 { close(socket) }
    socket = -1
    buffer.removeAll()
  }

  private func connect() throws {
    let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ClientError(description: "socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
      close(fd)
      throw ClientError(description: "cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    socket = fd
  }

  private func write(_ data: Data) throws {
    try data.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        let n = Foundation.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
        guard n > 0 else { throw ClientError(description: "send: \(String(cString: strerror(errno)))") }
        sent += n
      }
    }
  }

  private func fill() throws {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = recv(socket, &chunk, chunk.count, 0)
    guard n > 0 else { throw ClientError(description: n == 0 ? "the server closed the connection" : "recv: \(String(cString: strerror(errno)))") }
    buffer.append(contentsOf: chunk[0..<n])
  }

  /// The next reply; `bodyless` for the answer to HEAD, whose Content-Length is the GET body's.
  private func readReply(bodyless: Bool = false) throws -> Reply {
    let separator = Data("\r\n\r\n".utf8)
    var end = buffer.range(of: separator)
    while end == nil { try fill(); end = buffer.range(of: separator) }
    let lines = String(decoding: buffer[buffer.startIndex..<end!.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let fields = lines.first?.split(separator: " ") ?? []
    guard fields.count >= 2, let status = Int(fields[1]) else { throw ClientError(description: "not an HTTP reply: \(lines.first ?? "")") }
    var headers = [String: String]()
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    buffer.removeSubrange(buffer.startIndex..<end!.upperBound)
    let body: Data
    if bodyless {
      body = Data()
    } else if let length = headers["content-length"].flatMap(Int.init) {
      while buffer.count < length { try fill() }
      body = Data(buffer.prefix(length))
      buffer.removeFirst(length)
    } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
      body = try readChunks()
    } else {
      body = Data()
    }
    if headers["connection"]?.lowercased() == "close" { disconnect() }
    return Reply(status: status, headers: headers, body: body)
  }

  private func readChunks() throws -> Data {
    var body = Data()
    let crlf = Data("\r\n".utf8)
    while true {
      var line = buffer.range(of: crlf)
      while line == nil { try fill(); line = buffer.range(of: crlf) }
      let size = Int(String(decoding: buffer[buffer.startIndex..<line!.lowerBound], as: UTF8.self).split(separator: ";").first.map(String.init) ?? "", radix: 16) ?? 0
      buffer.removeSubrange(buffer.startIndex..<line!.upperBound)
      while buffer.count < size + 2 { try fill() }
      body.append(buffer.prefix(size))
      buffer.removeFirst(size + 2)
      if size == 0 { return body }
    }
  }
}
