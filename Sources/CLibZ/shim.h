// zlib (Debian: zlib1g-dev), for the compressed elements of MATLAB v5 files and the CRC-32 of
// every binary file the project writes.
#include <zlib.h>
#include <stdint.h>

/// The CRC-32 of `count` bytes: index files (Hashing) and tensor archives (Tensor) share it.
static inline uint32_t cmh_crc32(const void *bytes, size_t count) {
  return (uint32_t)crc32_z(0, (const Bytef *)bytes, count);
}

/// The CRC-32 of what came before (`crc`) followed by `count` more bytes.
static inline uint32_t cmh_crc32_update(uint32_t crc, const void *bytes, size_t count) {
  return (uint32_t)crc32_z(crc, (const Bytef *)bytes, count);
}
