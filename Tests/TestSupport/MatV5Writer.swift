// MatV5Writer: MATLAB v5 files for the tests, byte by byte as MATLAB and scipy lay them out.

import CLibZ

public enum MatV5Writer {
  public static func header() -> [UInt8] {
    var h = Array("MATLAB 5.0 MAT-file, written by the cmh tests".utf8)
    h += [UInt8](repeating: 32, count: 116 - h.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x01] + Array("IM".utf8)
    return h
  }

  public static func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

  public static func element(_ type: UInt32, _ data: [UInt8]) -> [UInt8] {
    if data.count <= 4 && type != 14 && type != 15 {  // small data element
      return le(UInt32(data.count) << 16 | type) + data + [UInt8](repeating: 0, count: 4 - data.count)
    }
    return le(type) + le(UInt32(data.count)) + data + [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
  }

  /// A double-class matrix whose column-major values are stored as uint8 (type 2) or double (9).
  public static func matrix(_ name: String, rows: Int, columns: Int, columnMajor values: [Double], storeAsUInt8: Bool) -> [UInt8] {
    var body = element(6, le(6) + le(0))  // flags: class 6 = double
    body += element(5, le(UInt32(rows)) + le(UInt32(columns)))
    body += element(1, Array(name.utf8))
    body += storeAsUInt8 ? element(2, values.map { UInt8($0) })
                         : element(9, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    return element(14, body)
  }

  public static func compressed(_ bytes: [UInt8]) -> [UInt8] {
    var size = compressBound(UInt(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(size))
    _ = compress2(&out, &size, bytes, UInt(bytes.count), 6)
    return le(15) + le(UInt32(size)) + out.prefix(Int(size))
  }
}
