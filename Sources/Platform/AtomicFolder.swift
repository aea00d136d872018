// AtomicFolder: replaces a folder's files as one set. The new files are written into a temporary
// folder beside it, the folder's other files are linked in, and the temporary folder takes the
// folder's place: a reader, or a run killed at any moment, sees the old set or the new one whole.

import Foundation

public enum AtomicFolder {
  /// Calls `write` with an empty temporary folder, then puts what it wrote in place of `folder`
  /// (whose files `write` did not replace are kept, unless `keepingOthers` is false). Nothing
  /// changes in `folder` if `write` throws.
  public static func replace(_ folder: URL, keepingOthers: Bool = true, _ write: (URL) throws -> Void) throws {
    let manager = FileManager.default
    restoreInterrupted(folder)
    let temporary = AtomicFile.temporaryURL(for: folder)
    try? manager.removeItem(at: temporary)
    do { try manager.createDirectory(at: temporary, withIntermediateDirectories: true) } catch {
      throw FileError(path: temporary.path, problem: "cannot create the temporary folder beside \(folder.path): \(error.localizedDescription)")
    }
    do {
      try write(temporary)
      if keepingOthers { try keepOthers(of: folder, in: temporary) }
      try swap(temporary, into: folder)
    } catch {
      try? manager.removeItem(at: temporary)
      throw error
    }
  }

  /// Links (or copies) into `temporary` the files of `folder` that it does not hold.
  private static func keepOthers(of folder: URL, in temporary: URL) throws {
    let manager = FileManager.default
    for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where !manager.fileExists(atPath: temporary.appendingPathComponent(name).path) {
      let from = folder.appendingPathComponent(name), to = temporary.appendingPathComponent(name)
      if link(from.path, to.path) != 0 { try manager.copyItem(at: from, to: to) }
    }
  }

  /// folder → .folder.old-PID, temporary → folder, then the old one removed.
  private static func swap(_ temporary: URL, into folder: URL) throws {
    let old = folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).old-\(getpid())")
    let exists = FileManager.default.fileExists(atPath: folder.path)
    if exists, rename(folder.path, old.path) != 0 {
      throw FileError(path: folder.path, problem: "cannot move the old files aside: \(String(cString: strerror(errno)))")
    }
    guard rename(temporary.path, folder.path) == 0 else {
      let reason = String(cString: strerror(errno))
      if exists { _ = rename(old.path, folder.path) }
      throw FileError(path: folder.path, problem: "cannot move the new files into place: \(reason)")
    }
    if exists { try? FileManager.default.removeItem(at: old) }
  }

  /// After a run killed between its two renames the folder is missing and its old set is aside:
  /// put it back. Temporary folders of runs that no longer run are removed.
  static func restoreInterrupted(_ folder: URL) {
    let manager = FileManager.default, parent = folder.deletingLastPathComponent()
    for entry in AtomicFile.leftovers(in: parent, prefix: ".\(folder.lastPathComponent).old-") {
      let url = parent.appendingPathComponent(entry)
      if manager.fileExists(atPath: folder.path) { try? manager.removeItem(at: url) } else { _ = rename(url.path, folder.path) }
    }
    AtomicFile.removeStaleTemporaries(of: folder)
  }
}
