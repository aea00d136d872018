// CRC32: zlib's CRC-32, the checksum of every binary file the project writes (tensor archives,
// index files, pixel caches).

import CLibZ

public enum CRC32 {
  public static func of(_ bytes: UnsafeRawPointer, count: Int) -> UInt32 {
    cmh_crc32(bytes, count)
  }

  /// The CRC-32 of the bytes behind `crc` followed by `count` more.
  public static func update(_ crc: UInt32, _ bytes: UnsafeRawPointer, count: Int) -> UInt32 {
    cmh_crc32_update(crc, bytes, count)
  }
}
