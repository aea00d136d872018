// OutputCheck: before a long run, make sure its output can be written — a missing folder is
// created, a read-only or non-folder target is an error now, not after the last epoch.

import Foundation
import Platform

enum OutputCheck {
  /// The folder that will hold the file `path`.
  static func file(_ path: String, option: String) throws {
    try folder(URL(fileURLWithPath: path).deletingLastPathComponent().path, option: option, what: "the folder of \(path)")
  }

  /// A folder to write files into, created when missing; a probe file is written and removed.
  static func folder(_ path: String, option: String, what: String? = nil) throws {
    let name = what ?? path
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
      throw CommandError("\(option) \(path): \(name) is a file, not a folder")
    }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw CommandError("\(option): cannot create \(name): \(reason(error))")
    }
    let probe = URL(fileURLWithPath: path).appendingPathComponent(".cmh-write-check-\(getpid())")
    guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
      throw CommandError("\(option): cannot write into \(name) (read-only or no permission)")
    }
    try? FileManager.default.removeItem(at: probe)
  }

  /// The system's reason, without Foundation's error domain and codes.
  private static func reason(_ error: Error) -> String {
    let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
    return underlying.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription
  }
}
