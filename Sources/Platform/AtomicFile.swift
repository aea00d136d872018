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
    let temporary = temporaryURL(for: url)
    do {
      try data.write(to: temporary)
      if rename(temporary.path, url.path) != 0 {
        throw FileError(path: url.path, problem: "cannot move the new file into place: \(String(cString: strerror(errno)))")
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      if error is FileError { throw error }
      throw FileError(path: url.path, problem: "cannot write: \(error.localizedDescription)")
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
