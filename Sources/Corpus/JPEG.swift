// JPEG: encoding and decoding RGB images through libjpeg (errors come back as messages).

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
    return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: rgb, count: Int(width * height * 3))))
  }
}
