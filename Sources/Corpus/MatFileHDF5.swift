// MatFileHDF5: numeric arrays of MATLAB v7.3 files, which are HDF5 files behind a 512-byte
// header. MATLAB stores an r × c array as an HDF5 dataset of c × r, so the dataset's order is
// MATLAB's column-major order as it is.

import CHDF5
import Foundation
import Platform

public enum MatFileHDF5 {
  // HDF5's defaults, H5E_DEFAULT, H5S_ALL and H5F_ACC_RDONLY are macros Swift imports with the wrong type or not at all.
  private static let defaults: hid_t = 0, allOfSpace: hid_t = 0, readOnly: UInt32 = 0

  /// Where libhdf5 reads a file. It can crash on a damaged file; in a child process the crash
  /// ends the child with a signal, which is reported, not the caller.
  public enum Reader: Sendable {
    case inProcess
    /// `executable arguments… FILE` reads FILE and writes its arrays to stdout (MatArrayTransfer).
    case child(executable: URL, arguments: [String])
  }

  public static func read(_ url: URL, with reader: Reader) throws -> [String: MatArray] {
    switch reader {
    case .inProcess: return try read(url)
    case .child(let executable, let arguments): return try readInChild(url, executable: executable, arguments: arguments)
    }
  }

  private static func readInChild(_ url: URL, executable: URL, arguments: [String]) throws -> [String: MatArray] {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments + [url.path]
    let (data, errors) = try ChildProcess.run(process)
    if process.terminationReason == .uncaughtSignal {
      throw CorpusError(url.path, "libhdf5 crashed reading it (signal \(process.terminationStatus)): the file is damaged")
    }
    guard process.terminationStatus == 0 else {
      let message = String(decoding: errors, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "the HDF5 reader failed"
      throw CorpusError(url.path, message.replacingOccurrences(of: "Error: ", with: "").replacingOccurrences(of: "\(url.path): ", with: ""))
    }
    return try MatArrayTransfer.decode(data, path: url.path)
  }

  /// Every numeric dataset at the root of the file, by name.
  public static func read(_ url: URL) throws -> [String: MatArray] {
    _ = H5open()
    H5Eset_auto2(defaults, nil, nil)  // errors come back as return values, not printed
    let file = H5Fopen(url.path, readOnly, defaults)
    guard file >= 0 else { throw CorpusError(url.path, "a MATLAB v7.3 file that HDF5 cannot open (truncated or corrupt?)") }
    defer { H5Fclose(file) }
    var info = H5G_info_t()
    guard H5Gget_info(file, &info) >= 0 else { throw CorpusError(url.path, "cannot list the variables") }
    var arrays = [String: MatArray]()
    for i in 0..<info.nlinks {
      let length = H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, defaults)
      guard length > 0 else { continue }
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, defaults)
      let name = String(cString: buffer)
      if let array = try dataset(file, name, url) { arrays[name] = array }
    }
    return arrays
  }

  /// A numeric dataset as a MatArray (nil for groups, strings and other non-numeric objects).
  private static func dataset(_ file: hid_t, _ name: String, _ url: URL) throws -> MatArray? {
    let set = H5Dopen2(file, name, defaults)  // fails (quietly) for groups
    guard set >= 0 else { return nil }
    defer { H5Dclose(set) }
    let type = H5Dget_type(set)
    defer { H5Tclose(type) }
    let typeClass = H5Tget_class(type)
    guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else { return nil }
    let space = H5Dget_space(set)
    defer { H5Sclose(space) }
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard (0...32).contains(rank) else { throw CorpusError(url.path, "variable \(name): \(rank) dimensions; the file is damaged") }
    var dims = [hsize_t](repeating: 0, count: max(rank, 1))
    H5Sget_simple_extent_dims(space, &dims, nil)
    let count = try valueCount(dims.prefix(rank), stored: H5Dget_storage_size(set), name: name, url)
    var values = [Float](repeating: 0, count: count)
    guard H5Dread(set, H5T_NATIVE_FLOAT_g, allOfSpace, allOfSpace, defaults, &values) >= 0 else {
      throw CorpusError(url.path, "variable \(name): HDF5 could not read its \(count) values")
    }
    return MatArray(name: name, dimensions: dims.prefix(rank).reversed().map { Int($0) }, values: values)
  }

  /// The number of values the dimensions claim, refused before anything is allocated when it
  /// overflows or is more than the bytes stored for it could hold: zlib inflates at most about
  /// 1,032 to 1, so a damaged header cannot make the reader ask for petabytes.
  static func valueCount<S: Sequence>(_ dims: S, stored: hsize_t, name: String, _ url: URL) throws -> Int where S.Element == hsize_t {
    let fileSize = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    var count = 1
    for d in dims {
      let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: d))
      guard d <= UInt64(Int32.max), !overflow else { throw CorpusError(url.path, "variable \(name): dimensions \(Array(dims)) are too large; the file is damaged") }
      count = product
    }
    guard stored <= UInt64(max(fileSize, 0)), count <= max(Int(stored), 1) * 1_100 else {
      throw CorpusError(url.path, "variable \(name): \(count) values in \(stored) stored bytes of a \(fileSize)-byte file; the file is damaged")
    }
    return count
  }
}
