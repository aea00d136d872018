// MatFile: numeric arrays from MATLAB .mat files. Version 5 is read in Swift: zlib-compressed
// elements, small data elements, and data stored in a narrower type than its class (uint8 in a
// double array). Version 7.3 files are HDF5 files and are read through libhdf5.

import CLibZ
import Foundation

public struct MatArray: Sendable {
  public let name: String
  /// Dimensions as MATLAB lists them (rows, columns, ...).
  public let dimensions: [Int]
  /// Values in MATLAB's column-major order, converted to Float.
  public let values: [Float]

  public var rows: Int { dimensions.first ?? 0 }
  public var columns: Int { dimensions.dropFirst().reduce(1, *) }
  /// Element (r, c) of a 2-D array.
  public func at(_ r: Int, _ c: Int) -> Float { values[c * rows + r] }
}

public struct MatFile: Sendable {
  public let path: String
  public let arrays: [String: MatArray]

  public init(contentsOf url: URL, hdf5: MatFileHDF5.Reader = .inProcess) throws {
    path = url.path
    guard let data = try? Data(contentsOf: url) else { throw CorpusError(url.path, "cannot read the .mat file") }
    guard data.count >= 128 else { throw CorpusError(url.path, "too short for a MATLAB file (\(data.count) bytes)") }
    let text = String(decoding: data.prefix(116), as: UTF8.self)
    if text.hasPrefix("MATLAB 7.3") || data.prefix(8) == Data([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) {
      arrays = try MatFileHDF5.read(url, with: hdf5)
      return
    }
    guard text.hasPrefix("MATLAB 5.0") else { throw CorpusError(url.path, "not a MATLAB v5 .mat file (the header does not start with \"MATLAB 5.0\")") }
    guard data[126] == UInt8(ascii: "I") && data[127] == UInt8(ascii: "M") else {
      throw CorpusError(url.path, "big-endian .mat files are not supported")
    }
    var arrays = [String: MatArray]()
    var reader = MatReader(bytes: [UInt8](data), path: url.path)
    reader.offset = 128
    while reader.offset + 8 <= reader.bytes.count {
      for array in try reader.nextElement() { arrays[array.name] = array }
    }
    self.arrays = arrays
  }

  /// The array called `name`, or an error listing the arrays the file has.
  public func array(_ name: String) throws -> MatArray {
    guard let a = arrays[name] else { throw CorpusError(path, "no variable \"\(name)\" (it has: \(arrays.keys.sorted().joined(separator: ", ")))") }
    return a
  }
}

/// Walks the data elements of a v5 file (or of one decompressed element).
struct MatReader {
  let bytes: [UInt8]
  let path: String
  var offset = 0

  static let miMATRIX: UInt32 = 14, miCOMPRESSED: UInt32 = 15

  func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }

  /// Reads one tag: (type, size, data start, where the next element starts).
  mutating func tag() throws -> (type: UInt32, size: Int, start: Int) {
    guard offset + 8 <= bytes.count else { throw CorpusError(path, "truncated at byte \(offset)") }
    let first = u32(offset)
    if first >> 16 != 0 {  // small data element: size and type in one word, data in the next four bytes
      guard first >> 16 <= 4 else { throw CorpusError(path, "a small data element at byte \(offset) claims \(first >> 16) bytes; at most 4 fit") }
      let result = (first & 0xFFFF, Int(first >> 16), offset + 4)
      offset += 8
      return result
    }
    let size = Int(u32(offset + 4)), start = offset + 8
    guard start + size <= bytes.count else { throw CorpusError(path, "truncated: an element of \(size) bytes at byte \(offset) runs past the end") }
    offset = start + (first == Self.miCOMPRESSED ? size : (size + 7) / 8 * 8)
    return (first, size, start)
  }

  /// The arrays of the next top-level element (none for classes that are not numeric matrices).
  mutating func nextElement() throws -> [MatArray] {
    let (type, size, start) = try tag()
    switch type {
    case Self.miCOMPRESSED:
      var inner = MatReader(bytes: try inflate(Array(bytes[start..<(start + size)])), path: path)
      var arrays = [MatArray]()
      while inner.offset + 8 <= inner.bytes.count { arrays += try inner.nextElement() }
      return arrays
    case Self.miMATRIX:
      var inner = MatReader(bytes: Array(bytes[start..<(start + size)]), path: path)
      return try inner.matrix().map { [$0] } ?? []
    default:
      return []
    }
  }

  /// A numeric matrix's flags, dimensions, name and real part (nil for cells, structs, sparse).
  mutating func matrix() throws -> MatArray? {
    guard !bytes.isEmpty else { return nil }
    let flags = try tag()
    guard flags.size >= 1 else { throw CorpusError(path, "a matrix without its array flags") }
    let classID = bytes[flags.start]
    guard (6...15).contains(classID) else { return nil }  // double, single, int8 … uint64
    let dims = try tag()
    let dimensions = (0..<(dims.size / 4)).map { Int(Int32(bitPattern: u32(dims.start + 4 * $0))) }
    let nameTag = try tag()
    let name = String(decoding: bytes[nameTag.start..<(nameTag.start + nameTag.size)], as: UTF8.self)
    let real = try tag()
    // Dimensions come from the file: negative ones or a product past Int are damage, not a size.
    guard dimensions.allSatisfy({ $0 >= 0 }), let count = dimensions.reduce(Optional(1), { total, d in
      total.flatMap { t in let (p, overflow) = t.multipliedReportingOverflow(by: d); return overflow ? nil : p }
    }) else { throw CorpusError(path, "variable \(name): dimensions \(dimensions) are not a matrix size") }
    let values = try numbers(type: real.type, start: real.start, size: real.size, name: name)
    guard values.count == count else { throw CorpusError(path, "variable \(name): \(values.count) values for dimensions \(dimensions)") }
    return MatArray(name: name, dimensions: dimensions, values: values)
  }

  /// Converts stored numbers of any MATLAB numeric type to Float.
  func numbers(type: UInt32, start: Int, size: Int, name: String) throws -> [Float] {
    return try bytes.withUnsafeBytes { all -> [Float] in
      let p = all.baseAddress! + start
      func load<T: FixedWidthInteger>(_: T.Type) -> [Float] {
        (0..<(size / MemoryLayout<T>.size)).map { Float(T(littleEndian: p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
      }
      switch type {
      case 1: return load(Int8.self)
      case 2: return (0..<size).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
      case 3: return load(Int16.self)
      case 4: return load(UInt16.self)
      case 5: return load(Int32.self)
      case 6: return load(UInt32.self)
      case 7: return (0..<(size / 4)).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
      case 9: return (0..<(size / 8)).map { Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
      case 12: return load(Int64.self)
      case 13: return load(UInt64.self)
      default: throw CorpusError(path, "variable \(name): data type \(type) is not a number type")
      }
    }
  }

  /// zlib inflate of a whole compressed element.
  func inflate(_ input: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw CorpusError(path, "zlib could not start") }
    defer { inflateEnd(&stream) }
    var output = [UInt8](), chunk = [UInt8](repeating: 0, count: 1 << 20)
    var input = input
    var status: Int32 = Z_OK
    input.withUnsafeMutableBufferPointer { inp in
      stream.next_in = inp.baseAddress
      stream.avail_in = UInt32(inp.count)
      repeat {
        chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = UInt32(out.count)
          status = CLibZ.inflate(&stream, Z_NO_FLUSH)
          output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
        }
      } while status == Z_OK
    }
    guard status == Z_STREAM_END else { throw CorpusError(path, "a compressed element is corrupt (zlib status \(status))") }
    return output
  }
}
