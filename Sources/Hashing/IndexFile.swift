// IndexFile: one modality's codes on disk, laid out for mmap, with what to show for each item.
//
// Layout (little-endian), version 3: an 80-byte header — magic "CMHINDEX", version u32, bits u32,
// count u64, modality u32, fields per item u32, codes offset u64, strings offset u64, file size u64,
// the fingerprint of the model that wrote it u64 (0: unknown), the CRC-32 of every byte after the
// header u32, 4 bytes zero, the offset of the stored outputs u64 (0: none) — then the packed codes
// (count × ⌈bits/64⌉ UInt64 words, bits past the length clear), then the stored outputs when there
// are any (count × bits int8, for re-ranking; zero-padded to 8 bytes), then the item strings:
// (count·3 + 1) u64 offsets into a UTF-8 blob holding, per item, its id, what to show (an image
// path or a text) and its labels (names separated by U+0000, so that any other character, a comma
// too, may be part of a label).
// Version 2 (still read): the same without stored outputs. Version 1 (still read): a 64-byte
// header without the CRC, labels separated by commas.
import Foundation
import Platform

public struct IndexFileError: Error, CustomStringConvertible {
  public let path: String
  public let problem: String
  public var description: String { "\(path): \(problem)" }
}

public enum Modality: UInt32, CaseIterable, Sendable, CustomStringConvertible {
  case image = 0, text = 1
  public var description: String { self == .image ? "image" : "text" }
}

/// What an index shows for one item.
public struct IndexItem: Equatable, Sendable {
  public let id: String
  public let display: String
  public let labels: [String]
  public init(id: String, display: String, labels: [String] = []) {
    self.id = id; self.display = display; self.labels = labels
  }
}

public struct IndexFile: @unchecked Sendable {
  public static let magic = Data("CMHINDEX".utf8)
  public static let version: UInt32 = 3
  static let headerSize = 80, fields = 3, labelSeparator = "\u{0}"
  static let checksumOffset = 64, outputsOffsetField = 72

  public let path: String
  public let modality: Modality
  /// The fingerprint of the model that wrote the codes; nil in files written before fingerprints.
  public let modelFingerprint: UInt64?
  /// The codes, read straight from the mapped file.
  public let codes: BinaryCodes
  /// Each item's real-valued output (for re-ranking); nil in files written without them.
  public let outputs: StoredOutputs?
  /// The format version the file was written in (1: labels comma-separated, no checksum; 2: no stored outputs).
  public let version: UInt32
  private let file: MappedFile
  private let stringsOffset: Int

  public var bits: Int { codes.bits }
  public var count: Int { codes.count }

  // MARK: Writing

  /// Writes codes and items atomically (a temporary file beside the target, then a rename).
  public static func write(codes: BinaryCodes, modality: Modality, items: [IndexItem], outputs: StoredOutputs? = nil,
                           modelFingerprint: UInt64 = 0, to url: URL) throws {
    precondition(items.count == codes.count, "IndexFile.write: \(items.count) items for \(codes.count) codes")
    precondition(outputs == nil || (outputs!.count == codes.count && outputs!.dimension == codes.bits),
                 "IndexFile.write: \(outputs?.count ?? 0) stored outputs of \(outputs?.dimension ?? 0) values for \(codes.count) \(codes.bits)-bit codes")
    if let bad = items.first(where: { $0.labels.contains { $0.isEmpty || $0.contains(labelSeparator) } }) {
      throw IndexFileError(path: url.path, problem: "item \(bad.id): a label is empty or holds the character U+0000, which an index cannot store")
    }
    let codeBytes = codes.count * codes.wordsPerCode * 8
    var blob = Data(), offsets = [UInt64(0)]
    for item in items {
      for field in [item.id, item.display, item.labels.joined(separator: labelSeparator)] {
        blob.append(contentsOf: field.utf8)
        offsets.append(UInt64(blob.count))
      }
    }
    let outputBytes = outputs.map { ($0.count * $0.dimension + 7) / 8 * 8 } ?? 0
    let stringsOffset = headerSize + codeBytes + outputBytes
    let size = stringsOffset + offsets.count * 8 + blob.count
    var data = Data(capacity: size)
    data.append(magic)
    append(&data, version); append(&data, UInt32(codes.bits)); append(&data, UInt64(codes.count))
    append(&data, modality.rawValue); append(&data, UInt32(fields))
    append(&data, UInt64(headerSize)); append(&data, UInt64(stringsOffset)); append(&data, UInt64(size))
    append(&data, modelFingerprint)
    append(&data, UInt32(0)); append(&data, UInt32(0))  // CRC-32 (below), reserved
    append(&data, UInt64(outputs == nil ? 0 : headerSize + codeBytes))
    data.append(Data(bytes: codes.words, count: codeBytes))
    if let outputs {
      data.append(Data(buffer: outputs.bytes))
      data.append(Data(count: outputBytes - outputs.count * outputs.dimension))
    }
    for o in offsets { append(&data, o) }
    data.append(blob)
    let crc = data.withUnsafeBytes { CRC32.of($0.baseAddress! + headerSize, count: size - headerSize) }
    withUnsafeBytes(of: crc.littleEndian) { data.replaceSubrange(checksumOffset..<checksumOffset + 4, with: $0) }
    do { try AtomicFile.write(data, to: url) } catch let error as FileError {
      throw IndexFileError(path: url.path, problem: "cannot write the index: \(error.problem)")
    }
  }

  private static func append<T: FixedWidthInteger>(_ data: inout Data, _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
  }

  // MARK: Reading

  /// Opens an index by mapping it; the codes are not parsed or copied. The header is checked
  /// against the file so that no read can leave it, in microseconds; the body's CRC-32 is
  /// checked by `verify()` (about 13 ms for a million 64-bit codes), which every cmh command
  /// calls once before it trusts the codes.
  public init(contentsOf url: URL) throws {
    path = url.path
    file = try MappedFile(path: path)
    func fail(_ problem: String) -> IndexFileError { IndexFileError(path: url.path, problem: problem) }
    guard file.size >= 16, Data(bytes: file.bytes, count: 8) == Self.magic else {
      throw fail(file.size < 16 ? "\(file.size) bytes: shorter than an index header, so not a whole cmh index file; write one with `cmh encode`"
                 : "not a cmh index file (it does not start with CMHINDEX); write one with `cmh encode`")
    }
    // 64-bit fields are read as Int by truncation: a damaged one turns negative and fails the
    // range checks below instead of trapping in a conversion.
    let version: UInt32 = file.load(8)
    guard (1...Self.version).contains(version) else {
      throw fail("index format version \(version), this cmh reads versions 1 to \(Self.version); re-encode the corpus with this cmh")
    }
    let headerSize = version == 1 ? 64 : Self.headerSize
    guard file.size >= headerSize else {
      throw fail("\(file.size) bytes: shorter than an index header (\(headerSize) bytes), so not a whole cmh index file; write one with `cmh encode`")
    }
    let bits = Int(file.load(12) as UInt32), count = file.offset(16)
    guard BinaryCodes.supportedBits.contains(bits) else { throw fail("\(bits) bits per code, expected 8 to 1024") }
    guard let modality = Modality(rawValue: file.load(24)) else { throw fail("unknown modality \(file.load(24) as UInt32)") }
    guard Int(file.load(28) as UInt32) == Self.fields else { throw fail("\(file.load(28) as UInt32) fields per item, expected \(Self.fields)") }
    let codesOffset = file.offset(32), strings = file.offset(40), size = file.offset(48)
    guard size == file.size else { throw fail("truncated or padded: the header says \(size) bytes, the file has \(file.size)") }
    let words = (bits + 63) / 64
    let outputsAt = version >= 3 ? file.offset(Self.outputsOffsetField) : 0
    guard codesOffset == headerSize, count >= 0, count < Int(Int32.max) else {
      throw fail("the header's sizes do not fit: \(count) codes at byte \(codesOffset), expected at most \(Int32.max) codes at byte \(headerSize)")
    }
    let codesEnd = codesOffset + count * words * 8, outputBytes = outputsAt == 0 ? 0 : (count * bits + 7) / 8 * 8
    guard outputsAt == 0 || outputsAt == codesEnd else {
      throw fail("the stored outputs start at byte \(outputsAt), not where the codes end (\(codesEnd)): the header is damaged")
    }
    guard strings == codesEnd + outputBytes, strings + (count * Self.fields + 1) * 8 <= size else {
      throw fail("the header's sizes do not fit: \(count) codes of \(bits) bits need \(strings) bytes before the item table")
    }
    let blobSize = size - strings - (count * Self.fields + 1) * 8
    guard file.offset(strings + count * Self.fields * 8) == blobSize else {
      throw fail("the item table does not end where the file does")
    }
    self.version = version
    self.modality = modality
    let fingerprint: UInt64 = file.load(56)
    modelFingerprint = fingerprint == 0 ? nil : fingerprint
    self.stringsOffset = strings
    let codeWords = (file.bytes + codesOffset).assumingMemoryBound(to: UInt64.self)
    if let bad = Self.firstCodeWithPadding(codeWords, count: count, bits: bits) {
      throw fail("code \(bad) has bits set past its \(bits) bits: the codes are damaged (every search assumes them clear)")
    }
    codes = BinaryCodes(bits: bits, count: count, memory: CodeMemory(mapped: codeWords, owner: file))
    outputs = outputsAt == 0 ? nil
      : StoredOutputs(dimension: bits, count: count, memory: MemoryRegion<Int8>(mapped: (file.bytes + outputsAt).assumingMemoryBound(to: Int8.self), owner: file))
  }

  /// Throws when the body's CRC-32 is not the one the header records: a damaged byte anywhere
  /// after the header. Version 1 files have no checksum and pass.
  public func verify() throws {
    guard version >= 2 else { return }
    let headerSize = Self.headerSize, stored: UInt32 = file.load(Self.checksumOffset)
    let actual = CRC32.of(file.bytes + headerSize, count: file.size - headerSize)
    guard stored == actual else {
      throw IndexFileError(path: path, problem: "the checksum does not match (CRC-32 \(String(format: "%08x", actual)), the header says \(String(format: "%08x", stored))): the file is damaged; encode the corpus again")
    }
  }

  /// Opens the index at `url` and verifies its checksum: what a command does before it uses one.
  public static func verified(_ url: URL) throws -> IndexFile {
    let index = try IndexFile(contentsOf: url)
    try index.verify()
    return index
  }

  /// The first code whose last word has bits set above `bits` (none when bits fill whole words:
  /// then nothing is read, and a million 64-bit codes still open in microseconds).
  static func firstCodeWithPadding(_ words: UnsafePointer<UInt64>, count: Int, bits: Int) -> Int? {
    guard bits % 64 != 0 else { return nil }
    let per = (bits + 63) / 64, padding = ~BinaryCodes.mask(bits: bits, word: per - 1)
    return (0..<count).first { words[$0 * per + per - 1] & padding != 0 }
  }

  /// What to show for item `i`.
  public func item(_ i: Int) -> IndexItem {
    precondition(i >= 0 && i < count, "IndexFile.item: \(i) outside 0..<\(count)")
    let table = stringsOffset, blob = stringsOffset + (count * Self.fields + 1) * 8
    func field(_ f: Int) -> String {
      let k = i * Self.fields + f
      let lo = file.offset(table + k * 8), hi = file.offset(table + (k + 1) * 8)
      guard lo >= 0, lo <= hi, hi <= file.size - blob else { return "" }
      return String(decoding: UnsafeRawBufferPointer(start: file.bytes + blob + lo, count: hi - lo), as: UTF8.self)
    }
    let labels = field(2)
    let names = version == 1 ? labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                             : labels.split(separator: Character(Self.labelSeparator)).map(String.init)
    return IndexItem(id: field(0), display: field(1), labels: names.filter { !$0.isEmpty })
  }

  /// Throws when this index was written by another model than the one with `fingerprint` (an
  /// index without a fingerprint passes: it predates them). `queryModel` names the small query
  /// model searching on behalf of that model, if one is.
  public func checkModel(_ fingerprint: UInt64, modelPath: String, queryModel: String? = nil) throws {
    guard let mine = modelFingerprint, mine != fingerprint else { return }
    throw IndexFileError(path: path, problem: "written by another model (fingerprint \(Self.hex(mine))) than \(modelPath) (\(Self.hex(fingerprint)))"
                         + (queryModel.map { ", the gallery model \($0) was distilled against" } ?? "")
                         + "; encode the corpus again with \(queryModel == nil ? "this model" : modelPath), or pass --force to search anyway")
  }

  public static func hex(_ fingerprint: UInt64) -> String { String(format: "%016llx", fingerprint) }

  /// Throws unless queries of `bits` bits can search this index.
  public func checkQueryBits(_ bits: Int) throws {
    guard bits == self.bits else {
      throw IndexFileError(path: path, problem: "the index holds \(self.bits)-bit codes but the query has \(bits) bits; encode both with the same model")
    }
  }
}

/// A read-only memory mapping of a whole file, unmapped when released.
final class MappedFile: @unchecked Sendable {
  let bytes: UnsafeRawPointer
  let size: Int

  init(path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw IndexFileError(path: path, problem: "cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw IndexFileError(path: path, problem: "cannot stat: \(String(cString: strerror(errno)))") }
    guard info.st_mode & S_IFMT != S_IFDIR else {
      throw IndexFileError(path: path, problem: "a folder, not an index file (`cmh encode` writes image.cmhindex, text.cmhindex, query-image.cmhindex and query-text.cmhindex into it)")
    }
    size = Int(info.st_size)
    if size == 0 { bytes = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)); return }
    guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
      throw IndexFileError(path: path, problem: "cannot map: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawPointer(p)
  }

  func load<T: FixedWidthInteger>(_ offset: Int) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }

  /// A 64-bit size or offset field as Int; one with the top bit set comes out negative.
  func offset(_ at: Int) -> Int { Int(truncatingIfNeeded: load(at) as UInt64) }

  deinit {
    if size == 0 { UnsafeMutableRawPointer(mutating: bytes).deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: bytes), size) }
  }
}
