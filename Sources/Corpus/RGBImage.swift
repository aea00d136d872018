// RGBImage: decoded pixels, 8-bit RGB, row-major, and their EXIF orientations.

public struct RGBImage: Equatable, Sendable {
  public let width: Int, height: Int
  /// height × width × 3 bytes, row-major.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
    self.width = width; self.height = height; self.pixels = pixels
  }
}

public struct ImageError: Error, CustomStringConvertible {
  public let description: String
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
