// AtomicFile: the one way the project writes a file — into a temporary file beside the target,
// then a rename — so a reader, or a run killed at any moment, sees the old contents or the new,
// never half of them. FileError names the path and what went wrong.

import Foundation

public struct FileError: Error, CustomStringConvertible {
  public let path: String
  public let problem: String
  public var description: String { "\(path): \(problem)" }
  public init(path: String, problem: String) {
    self.path = path
    self.problem = problem
  }
}

public enum AtomicFile {
  public static func write(_ data: Data, to url: URL) throws {
    try write(to: url) { try $0.write(data) }
  }

  /// Writes what `body` streams into the file (for files too large to build in memory first).
  public static func write(to url: URL, _ body: (FileStream) throws -> Void) throws {
    let temporary = temporaryURL(for: url)
    guard let handle = fopen(temporary.path, "wb") else {
      throw FileError(path: url.path, problem: "cannot write: \(String(cString: strerror(errno)))")
    }
    let stream = FileStream(handle: handle, path: url.path)
    do {
      try body(stream)
      guard fclose(handle) == 0 else { throw FileError(path: url.path, problem: "cannot write: \(String(cString: strerror(errno)))") }
      stream.closed = true
      if rename(temporary.path, url.path) != 0 {
        throw FileError(path: url.path, problem: "cannot move the new file into place: \(String(cString: strerror(errno)))")
      }
    } catch {
      if !stream.closed { fclose(handle) }
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
  }

  /// Writes UTF-8 text.
  public static func write(_ text: String, to url: URL) throws {
    try write(Data(text.utf8), to: url)
  }

  /// Where this process writes `url` before renaming it into place.
  public static func temporaryURL(for url: URL) -> URL {
    url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
  }

  /// Removes the temporary files of `url` left by processes that no longer run (a killed run's
  /// half-written checkpoint); returns how many.
  @discardableResult
  public static func removeStaleTemporaries(of url: URL) -> Int {
    let folder = url.deletingLastPathComponent()
    return leftovers(in: folder, prefix: ".\(url.lastPathComponent).tmp-").filter {
      (try? FileManager.default.removeItem(at: folder.appendingPathComponent($0))) != nil
    }.count
  }

  /// Names in `folder` of the form prefix + PID whose process no longer runs.
  static func leftovers(in folder: URL, prefix: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { name in
      guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { return false }
      return kill(pid, 0) != 0 && errno == ESRCH
    }
  }
}

/// A file being written by `AtomicFile.write(to:_:)`, with the CRC-32 of what it holds so far.
public final class FileStream {
  let handle: UnsafeMutablePointer<FILE>
  let path: String
  var closed = false
  public private(set) var crc: UInt32 = 0

  init(handle: UnsafeMutablePointer<FILE>, path: String) {
    self.handle = handle
    self.path = path
  }

  public func write(_ bytes: UnsafeRawPointer, count: Int) throws {
    guard count > 0 else { return }
    guard fwrite(bytes, 1, count, handle) == count else {
      throw FileError(path: path, problem: "cannot write: \(String(cString: strerror(errno)))")
    }
    crc = CRC32.update(crc, bytes, count: count)
  }

  public func write(_ data: Data) throws {
    try data.withUnsafeBytes { raw in if let base = raw.baseAddress { try write(base, count: raw.count) } }
  }

  public func zeros(_ count: Int) throws {
    try write(Data(count: count))
  }
}
