// ArchiveFolder: accepts a folder or a .zip of it; a zip is extracted (once) and the folder inside that
// holds a given marker file is returned.

import Foundation
import ZIPFoundation

public enum ArchiveFolder {
  public static func folder(_ path: String, containing marker: String, extractingInto destination: URL) throws -> URL {
    var root = URL(fileURLWithPath: path)
    if root.pathExtension.lowercased() == "zip" {
      let target = destination.appendingPathComponent(root.deletingPathExtension().lastPathComponent)
      if !FileManager.default.fileExists(atPath: target.path) {
        let partial = destination.appendingPathComponent(".partial-" + target.lastPathComponent)
        try? FileManager.default.removeItem(at: partial)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        do { try FileManager.default.unzipItem(at: root, to: partial) } catch {
          throw CorpusError(path, "cannot extract the zip file: \(error)")
        }
        try FileManager.default.moveItem(at: partial, to: target)  // complete extractions only
      }
      root = target
    }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
      throw CorpusError(path, "not a folder or a .zip file")
    }
    if FileManager.default.fileExists(atPath: root.appendingPathComponent(marker).path) { return root }
    let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
    while let url = walker?.nextObject() as? URL {
      if url.lastPathComponent == marker { return url.deletingLastPathComponent() }
    }
    throw CorpusError(path, "no \(marker) inside; is this the right folder or zip?")
  }
}
