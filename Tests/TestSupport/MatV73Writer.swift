// MatV73Writer: MATLAB v7.3 files for the tests, as MATLAB writes them — HDF5 with a 512-byte user
// block whose start is the MATLAB header, each r × c array stored as a c × r dataset.

import CHDF5
import Foundation

public enum MatV73Writer {
  public struct Array2D {
    public let name: String, rows: Int, columns: Int
    public let columnMajor: [Double]
    public init(_ name: String, rows: Int, columns: Int, columnMajor: [Double]) {
      self.name = name; self.rows = rows; self.columns = columns; self.columnMajor = columnMajor
    }
  }

  public struct WriteError: Error, CustomStringConvertible { public let description: String }

  public static func write(_ arrays: [Array2D], to url: URL) throws {
    _ = H5open()
    let plist = H5Pcreate(H5P_CLS_FILE_CREATE_ID_g)
    defer { H5Pclose(plist) }
    H5Pset_userblock(plist, 512)
    let file = H5Fcreate(url.path, UInt32(0x0002) /* H5F_ACC_TRUNC */, plist, 0)
    guard file >= 0 else { throw WriteError(description: "\(url.path): HDF5 cannot create it") }
    for array in arrays {
      var dims: [hsize_t] = [hsize_t(array.columns), hsize_t(array.rows)]
      let space = H5Screate_simple(2, &dims, nil)
      let set = H5Dcreate2(file, array.name, H5T_IEEE_F64LE_g, space, 0, 0, 0)
      var values = array.columnMajor
      let written = H5Dwrite(set, H5T_NATIVE_DOUBLE_g, 0, 0, 0, &values)
      H5Dclose(set); H5Sclose(space)
      guard written >= 0 else { H5Fclose(file); throw WriteError(description: "\(url.path): HDF5 cannot write \(array.name)") }
    }
    H5Fclose(file)
    var header = Swift.Array("MATLAB 7.3 MAT-file, Platform: GLNXA64, written by the cmh tests".utf8)
    header += [UInt8](repeating: 32, count: 116 - header.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x02] + Swift.Array("IM".utf8)
    let handle = try FileHandle(forWritingTo: url)
    try handle.write(contentsOf: Data(header))
    try handle.close()
  }
}
