// FeatureMatrix: a float32 matrix with one row per pair, stored as a NumPy .npy file (the small
// header says dtype, order and shape), so that feature files can come straight from numpy.save.

import Foundation
import Platform

public struct FeatureMatrix: Equatable, Sendable {
  public let rows: Int
  public let columns: Int
  public var values: [Float]

  public init(rows: Int, columns: Int, values: [Float]) {
    precondition(values.count == rows * columns, "FeatureMatrix: \(values.count) values for \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  public func row(_ r: Int) -> ArraySlice<Float> { values[(r * columns)..<((r + 1) * columns)] }

  /// The rows at `indices`, in that order.
  public func subset(_ indices: [Int]) -> FeatureMatrix {
    FeatureMatrix(rows: indices.count, columns: columns, values: indices.flatMap { row($0) })
  }

  // MARK: .npy

  /// Writes format 1.0, little-endian float32, C order; atomically.
  public func write(to url: URL) throws {
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header.utf8)
    values.withUnsafeBytes { data.append(contentsOf: $0) }
    do { try AtomicFile.write(data, to: url) } catch let error as FileError { throw CorpusError(url.path, error.problem) }
  }

  /// Reads a 2-D .npy matrix of float32, float64 or uint8 (converted to float32), C order.
  public static func read(from url: URL) throws -> FeatureMatrix {
    let path = url.path
    guard let data = try? Data(contentsOf: url) else { throw CorpusError(path, "cannot read the feature file") }
    guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else {
      throw CorpusError(path, "not a NumPy .npy file (write features with numpy.save)")
    }
    let major = data[6], start = major == 1 ? 10 : 12
    guard data.count >= start else { throw CorpusError(path, "truncated .npy header") }
    let headerLength = major == 1 ? Int(data[8]) | Int(data[9]) << 8 : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
    guard start + headerLength <= data.count, let header = String(data: data[start..<(start + headerLength)], encoding: .utf8) else {
      throw CorpusError(path, "truncated .npy header")
    }
    let descr = field(header, "descr"), order = field(header, "fortran_order")
    guard order == "False" else { throw CorpusError(path, "Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray") }
    guard let shapeText = header.range(of: #"\(([0-9]+), *([0-9]+),? *\)"#, options: .regularExpression).map({ String(header[$0]) }) else {
      throw CorpusError(path, "expected a 2-D array (rows, columns), header says \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    let dims = shapeText.filter { "0123456789,".contains($0) }.split(separator: ",").map { Int($0) }
    guard dims.count == 2, let rows = dims[0], let columns = dims[1] else { throw CorpusError(path, "the shape in the header, \(shapeText), is not two sizes") }
    let body = data.dropFirst(start + headerLength)
    let width: Int
    switch descr {
    case "<f4": width = 4
    case "<f8": width = 8
    case "|u1": width = 1
    default: throw CorpusError(path, "dtype \(descr ?? "?") is not supported (float32, float64 or uint8)")
    }
    let (count, countOverflow) = rows.multipliedReportingOverflow(by: columns)
    let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: width)
    guard !countOverflow, !bytesOverflow, body.count >= bytes else {
      throw CorpusError(path, "truncated: \(rows)×\(columns) values of \(width) bytes, the file has \(body.count) bytes of data")
    }
    var values = [Float](repeating: 0, count: rows * columns)
    body.withUnsafeBytes { raw in
      for i in 0..<values.count {
        switch width {
        case 4: values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case 8: values[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        default: values[i] = Float(raw[i])
        }
      }
    }
    return FeatureMatrix(rows: rows, columns: columns, values: values)
  }

  private static func field(_ header: String, _ key: String) -> String? {
    guard let r = header.range(of: "'\(key)':") else { return nil }
    let rest = header[r.upperBound...].drop { $0 == " " }
    let value = rest.prefix { $0 != "," && $0 != "}" }
    return value.trimmingCharacters(in: CharacterSet(charactersIn: " '"))
  }
}
