// JPEG: encoding and decoding RGB images through libjpeg (errors come back as messages, a file that
// ends early is one); decoding turns the image upright as its EXIF orientation says (phone photos
// are stored sideways).

import CJPEG
import Foundation

public enum JPEG {
  public static func encode(_ image: RGBImage, quality: Int = 90) throws -> Data {
    var out: UnsafeMutablePointer<UInt8>?
    var size = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = image.pixels.withUnsafeBufferPointer { p in
      cmh_jpeg_encode(p.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &out, &size, &message)
    }
    guard status == 0, let out else { throw ImageError(description: String(cString: message)) }
    defer { free(out) }
    return Data(bytes: out, count: size)
  }

  public static func decode(_ data: Data, maximumPixels: Int = ImageFile.maximumPixels) throws -> RGBImage {
    var rgb: UnsafeMutablePointer<UInt8>?
    var width: Int32 = 0, height: Int32 = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = data.withUnsafeBytes { raw in
      cmh_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, data.count, maximumPixels, &rgb, &width, &height, &message)
    }
    guard status == 0, let rgb else { throw ImageError(description: "not a readable JPEG: \(String(cString: message))") }
    defer { free(rgb) }
    let stored = RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: rgb, count: Int(width) * Int(height) * 3)))
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
