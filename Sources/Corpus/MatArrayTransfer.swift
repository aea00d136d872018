// MatArrayTransfer: numeric arrays as bytes, for reading a MATLAB v7.3 file in a child process —
// libhdf5 can crash on a damaged file, and a crash there must not take the command with it.
// Layout (little-endian): per array, name length u32, name (UTF-8), rank u32, dimensions u64 each,
// then the values as float32 in MATLAB's column-major order.

import Foundation

public enum MatArrayTransfer {
  public static func encode(_ arrays: [MatArray]) -> Data {
    var data = Data()
    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    for a in arrays {
      let name = Data(a.name.utf8)
      put(UInt32(name.count)); data.append(name)
      put(UInt32(a.dimensions.count)); for d in a.dimensions { put(UInt64(d)) }
      a.values.withUnsafeBytes { data.append(contentsOf: $0) }
    }
    return data
  }

  /// The arrays `encode` wrote; `path` names the .mat file in errors.
  public static func decode(_ data: Data, path: String) throws -> [String: MatArray] {
    let bytes = [UInt8](data)
    var at = 0, arrays = [String: MatArray]()
    func take(_ n: Int) throws -> ArraySlice<UInt8> {
      guard n >= 0, n <= bytes.count - at else { throw CorpusError(path, "the HDF5 reader's answer is cut short") }
      defer { at += n }
      return bytes[at..<(at + n)]
    }
    func int(_ size: Int) throws -> Int {
      let raw = try take(size).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      guard raw <= UInt64(Int32.max) else { throw CorpusError(path, "the HDF5 reader's answer holds a size past limits") }
      return Int(raw)
    }
    while at < bytes.count {
      let name = String(decoding: try take(try int(4)), as: UTF8.self)
      let rank = try int(4)
      guard rank <= 32 else { throw CorpusError(path, "the HDF5 reader's answer has \(rank) dimensions") }
      let dims = try (0..<rank).map { _ in try int(8) }
      let count = try dims.reduce(1) { n, d in
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        guard !overflow, p <= Int(Int32.max) else { throw CorpusError(path, "the HDF5 reader's answer holds a size past limits") }
        return p
      }
      let raw = try take(count * 4)
      var values = [Float](repeating: 0, count: count)
      values.withUnsafeMutableBytes { out in raw.withUnsafeBytes { out.copyMemory(from: $0) } }
      arrays[name] = MatArray(name: name, dimensions: dims, values: values)
    }
    return arrays
  }
}
