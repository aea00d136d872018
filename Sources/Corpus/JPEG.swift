// JPEG: encoding and decoding RGB images through libjpeg (errors come back as messages); decoding
// turns the image upright as its EXIF orientation says (phone photos are stored sideways).

import CJPEG
import Foundation

public struct RGBImage: Equatable, Sendable {
  public let width: Int, height: Int
  /// height × width × 3 bytes, row-major.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
    self.width = width; self.height = height; self.pixels = pixels
  }
}

public struct JPEGError: Error, CustomStringConvertible {
  public let description: String
}

public enum JPEG {
  public static func encode(_ image: RGBImage, quality: Int = 90) throws -> Data {
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = image.pixels.withUnsafeBufferPointer { p in
      cmh_jpeg_encode(p.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &out, &size, &message)
    }
    guard status == 0, let out else { throw JPEGError(description: String(cString: message)) }
    defer { free(out) }
    return Data(bytes: out, count: size)
  }

  public static func decode(_ data: Data) throws -> RGBImage {
    var rgb: UnsafeMutablePointer<UInt8>?
    var width: Int32 = 0, height: Int32 = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = data.withUnsafeBytes { raw in
      cmh_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, data.count, &rgb, &width, &height, &message)
    }
    guard status == 0, let rgb else { throw JPEGError(description: "not a readable JPEG: \(String(cString: message))") }
    defer { free(rgb) }
    let stored = RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: rgb, count: Int(width * height * 3))))
    return stored.oriented(exifOrientation(data))
  }

  /// The Orientation tag (0x0112) of the APP1 Exif segment, 1 (upright) when there is none.
  public static func exifOrientation(_ data: Data) -> Int {
    let b = [UInt8](data.prefix(65_536))
    var p = 2
    while p + 4 <= b.count, b[0] == 0xFF, b[1] == 0xD8, b[p] == 0xFF {
      let marker = b[p + 1], length = Int(b[p + 2]) << 8 | Int(b[p + 3])
      if marker == 0xDA || length < 2 { break }  // image data begins: no more metadata
      let body = p + 4
      if marker == 0xE1, body + 14 <= b.count, Array(b[body..<(body + 6)]) == [0x45, 0x78, 0x69, 0x66, 0, 0] {
        let tiff = body + 6, little = b[tiff] == 0x49
        func u16(_ i: Int) -> Int { i + 2 <= b.count ? (little ? Int(b[i]) | Int(b[i + 1]) << 8 : Int(b[i]) << 8 | Int(b[i + 1])) : 0 }
        func u32(_ i: Int) -> Int { u16(little ? i + 2 : i) << 16 | u16(little ? i : i + 2) }
        let ifd = tiff + u32(tiff + 4)
        for e in 0..<u16(ifd) where u16(ifd + 2 + 12 * e) == 0x0112 {
          let value = u16(ifd + 2 + 12 * e + 8)
          return (1...8).contains(value) ? value : 1
        }
        return 1
      }
      p += 2 + length
    }
    return 1
  }
}

extension RGBImage {
  /// The image as shown for EXIF orientation 1–8 (mirrored and/or turned by quarter turns).
  public func oriented(_ orientation: Int) -> RGBImage {
    guard orientation != 1 else { return self }
    let (w, h) = (width, height), swaps = orientation >= 5
    let (outW, outH) = swaps ? (h, w) : (w, h)
    var out = [UInt8](repeating: 0, count: pixels.count)
    for y in 0..<outH {
      for x in 0..<outW {
        // Where the shown pixel (x, y) is stored.
        let (sx, sy): (Int, Int)
        switch orientation {
        case 2: (sx, sy) = (w - 1 - x, y)
        case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
        case 4: (sx, sy) = (x, h - 1 - y)
        case 5: (sx, sy) = (y, x)
        case 6: (sx, sy) = (y, h - 1 - x)
        case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
        default: (sx, sy) = (w - 1 - y, x)
        }
        for c in 0..<3 { out[(y * outW + x) * 3 + c] = pixels[(sy * w + sx) * 3 + c] }
      }
    }
    return RGBImage(width: outW, height: outH, pixels: out)
  }
}
