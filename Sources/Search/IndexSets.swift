// IndexSets: the indexes a search service opens, grouped in named sets (a set holds at most one
// image and one text index), each checked against the model, with its items findable by id.

import Foundation
import Hashing

public final class SearchIndexSet: @unchecked Sendable {
  public let name: String
  private let files: [Modality: IndexFile]
  private let searchable: [Modality: HammingIndex]
  private let positions: [Modality: [String: Int]]

  init(name: String, files: [Modality: IndexFile]) {
    self.name = name
    self.files = files
    searchable = files.mapValues { HammingIndex($0.codes) }
    // An id that occurs twice is found at its first position.
    positions = files.mapValues { file in
      var table = [String: Int](minimumCapacity: file.count)
      for i in 0..<file.count {
        let id = file.item(i).id
        if table[id] == nil { table[id] = i }
      }
      return table
    }
  }

  public var modalities: [Modality] { Modality.allCases.filter { files[$0] != nil } }

  /// The index of `modality`; throws when the set has none.
  public func file(_ modality: Modality) throws -> IndexFile {
    guard let file = files[modality] else { throw SearchError(.notFound, "index set \"\(name)\" has no \(modality) index") }
    return file
  }

  public func searchable(_ modality: Modality) -> HammingIndex? { searchable[modality] }

  /// The position of item `id` in the index of `modality`, if it is there.
  public func position(of id: String, in modality: Modality) -> Int? { positions[modality]?[id] }
}

public enum IndexSets {
  /// Opens `NAME=PATH` specifications: a folder from `cmh encode` adds its image.cmhindex and
  /// text.cmhindex to set NAME; a file adds itself, by the modality in its header, to set NAME —
  /// or to the set "default" when NAME is "image" or "text".
  public static func open(_ specifications: [String], encoder: QueryEncoder, force: Bool = false) throws -> [String: SearchIndexSet] {
    var files = [String: [Modality: IndexFile]]()
    for spec in specifications {
      guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex, spec.index(after: equals) != spec.endIndex else {
        throw SearchError(.badQuery, "--index \(spec): expected NAME=FILE or NAME=FOLDER, for example image=index/image.cmhindex or demo=index")
      }
      let name = String(spec[..<equals]), path = String(spec[spec.index(after: equals)...])
      for file in try indexes(at: path) {
        try encoder.check(file, force: force)
        let set = ["image", "text"].contains(name) ? "default" : name
        if name == "image" || name == "text", file.modality.description != name {
          throw SearchError(.badQuery, "--index \(spec): \(path) is a \(file.modality) index, not a \(name) index")
        }
        guard files[set]?[file.modality] == nil else { throw SearchError(.badQuery, "--index \(spec): set \"\(set)\" already has a \(file.modality) index") }
        files[set, default: [:]][file.modality] = file
      }
    }
    return files.reduce(into: [:]) { $0[$1.key] = SearchIndexSet(name: $1.key, files: $1.value) }
  }

  private static func indexes(at path: String) throws -> [IndexFile] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw SearchError(.notFound, "\(path): no such file or folder") }
    guard isFolder.boolValue else { return [try IndexFile.verified(URL(fileURLWithPath: path))] }
    let found = Modality.allCases.map { URL(fileURLWithPath: path).appendingPathComponent("\($0).cmhindex") }
      .filter { FileManager.default.fileExists(atPath: $0.path) }
    guard !found.isEmpty else { throw SearchError(.notFound, "\(path): a folder without image.cmhindex or text.cmhindex; write them with `cmh encode`") }
    return try found.map { try IndexFile.verified($0) }
  }
}
