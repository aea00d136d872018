// OutputCheck: before a long run, make sure its output can be written — a missing folder is
// created, a read-only or non-folder target is an error now, not after the last epoch.

import Foundation

public enum OutputCheck {
  /// The folder that will hold the file `path`.
  public static func file(_ path: String, option: String) throws {
    try folder(URL(fileURLWithPath: path).deletingLastPathComponent().path, option: option, what: "the folder of \(path)")
  }

  /// A folder to write files into, created when missing; a probe file is written and removed.
  public static func folder(_ path: String, option: String, what: String? = nil) throws {
    let name = what ?? path
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
      throw FileError(path: "\(option) \(path)", problem: "\(name) is a file, not a folder")
    }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw FileError(path: option, problem: "cannot create \(name): \(reason(error))")
    }
    let probe = URL(fileURLWithPath: path).appendingPathComponent(".cmh-write-check-\(getpid())")
    guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
      throw FileError(path: option, problem: "cannot write into \(name) (read-only or no permission)")
    }
    try? FileManager.default.removeItem(at: probe)
  }

  /// The system's reason, without Foundation's error domain and codes.
  private static func reason(_ error: Error) -> String {
    let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
    return underlying.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription
  }
}
