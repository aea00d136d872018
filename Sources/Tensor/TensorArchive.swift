// TensorArchive: the binary file of named float32 tensors behind checkpoints and model files.
//
// Layout (little-endian), version 2: magic (8 bytes) | version u32 | metadata length u32 | table
// length u32 | metadata JSON | table JSON [{"name","shape","offset"}] | zero padding to 64 bytes |
// tensor data, each tensor 64-byte aligned, offsets counted from the start of the data | the CRC-32
// u32 of every byte before it. Version 1 (still read) is the same without the CRC.

import Foundation
import Platform

public struct TensorArchive {
  public static let version: UInt32 = 2
  public var metadata: Data
  public var tensors: [(String, Tensor)]

  public init(metadata: Data, tensors: [(String, Tensor)]) {
    self.metadata = metadata
    self.tensors = tensors
  }

  private struct Entry: Codable {
    let name: String
    let shape: [Int]
    let offset: Int
  }

  private static func aligned(_ n: Int) -> Int { (n + 63) / 64 * 64 }

  // MARK: Writing

  /// Writes atomically: a temporary file beside the target, then a rename.
  public func write(to url: URL, magic: String) throws {
    precondition(magic.utf8.count == 8, "TensorArchive: the magic word must be 8 bytes, got \"\(magic)\"")
    var entries = [Entry](), offset = 0
    for (name, t) in tensors {
      entries.append(Entry(name: name, shape: t.shape, offset: offset))
      offset = Self.aligned(offset + t.count * 4)
    }
    let encoder = JSON.encoder(escapingSlashes: true)  // the same tensors make the same bytes
    let table = try encoder.encode(entries)
    var header = Data(magic.utf8)
    for word in [Self.version, UInt32(metadata.count), UInt32(table.count)] { withUnsafeBytes(of: word.littleEndian) { header.append(contentsOf: $0) } }
    header.append(metadata)
    header.append(table)
    header.append(Data(count: Self.aligned(header.count) - header.count))
    // Streamed from the tensors' storage: a checkpoint of hundreds of megabytes is not copied first.
    try AtomicFile.write(to: url) { file in
      try file.write(header)
      var written = 0
      for (entry, (_, t)) in zip(entries, tensors) {
        try file.zeros(entry.offset - written)
        try file.write(t.data, count: t.count * 4)
        written = entry.offset + t.count * 4
      }
      try file.zeros(offset - written)
      var crc = file.crc.littleEndian
      try file.write(&crc, count: 4)
    }
  }

  // MARK: Reading

  /// Reads an archive, checking the magic word, version and every tensor's extent.
  public static func read(from url: URL, magic: String, what: String) throws -> TensorArchive {
    let path = url.path
    var file: Data
    do { file = try Data(contentsOf: url, options: .alwaysMapped) } catch {
      throw FileError(path: path, problem: "cannot read the \(what): \(error.localizedDescription)")
    }
    guard file.count >= 20, file.prefix(8) == Data(magic.utf8) else {
      throw FileError(path: path, problem: "not a \(what) (the file does not start with \"\(magic.trimmingCharacters(in: .controlCharacters))\"); pass a file written by cmh")
    }
    let words = (0..<3).map { i in file.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8 + 4 * i, as: UInt32.self)) } }
    guard words[0] == 1 || words[0] == version else {
      throw FileError(path: path, problem: "\(what) format version \(words[0]), this cmh reads versions 1 and \(version); re-create the file with this version")
    }
    if words[0] >= 2 {
      // Before anything past the header is believed: a damaged byte anywhere is named as damage.
      guard file.count >= 24 else { throw FileError(path: path, problem: "truncated: \(file.count) bytes, shorter than the header and checksum") }
      let stored = file.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $0.count - 4, as: UInt32.self)) }
      let actual = file.withUnsafeBytes { CRC32.of($0.baseAddress!, count: $0.count - 4) }
      guard stored == actual else {
        throw FileError(path: path, problem: "the checksum does not match (CRC-32 \(String(format: "%08x", actual)), the file says \(String(format: "%08x", stored))): "
                           + "the \(what) is damaged or truncated")
      }
      file = file.prefix(file.count - 4)
    }
    let metaEnd = 20 + Int(words[1]), tableEnd = metaEnd + Int(words[2])
    guard tableEnd <= file.count else { throw FileError(path: path, problem: "truncated: the header runs past the end of the file") }
    let metadata = file.subdata(in: 20..<metaEnd)
    let entries: [Entry]
    do { entries = try JSONDecoder().decode([Entry].self, from: file.subdata(in: metaEnd..<tableEnd)) } catch {
      throw FileError(path: path, problem: "the tensor table is not valid JSON: \(error)")
    }
    let dataStart = aligned(tableEnd)
    var tensors = [(String, Tensor)]()
    for e in entries {
      guard e.shape.allSatisfy({ $0 >= 0 }), e.offset >= 0 else { throw FileError(path: path, problem: "tensor \(e.name) has a negative shape or offset") }
      let t = Tensor(zeros: e.shape)
      guard dataStart + e.offset + t.count * 4 <= file.count else {
        throw FileError(path: path, problem: "truncated: tensor \(e.name) \(e.shape) runs past the end of the file (\(file.count) bytes)")
      }
      file.withUnsafeBytes { raw in _ = memcpy(t.data, raw.baseAddress! + dataStart + e.offset, t.count * 4) }
      tensors.append((e.name, t))
    }
    return TensorArchive(metadata: metadata, tensors: tensors)
  }
}
