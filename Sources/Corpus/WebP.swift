// WebP: decoding still images (lossy or lossless) through libwebp; an animation is refused.

import CWebP
import Foundation

public enum WebP {
  public static func decode(_ data: Data, maximumPixels: Int = ImageFile.maximumPixels) throws -> RGBImage {
    try data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self).baseAddress
      var features = WebPBitstreamFeatures()
      guard WebPGetFeatures(bytes, raw.count, &features) == VP8_STATUS_OK else {
        throw ImageError(description: "not a readable WebP image: its header is damaged or cut short")
      }
      guard features.has_animation == 0 else {
        throw ImageError(description: "an animated WebP image; only still images can be used")
      }
      try ImageFile.checkSize(width: Int(features.width), height: Int(features.height), maximumPixels: maximumPixels)
      var width: Int32 = 0, height: Int32 = 0
      guard let rgb = WebPDecodeRGB(bytes, raw.count, &width, &height) else {
        throw ImageError(description: "not a readable WebP image: its data is damaged or cut short")
      }
      defer { WebPFree(rgb) }
      return RGBImage(width: Int(width), height: Int(height), pixels: Array(UnsafeBufferPointer(start: rgb, count: Int(width) * Int(height) * 3)))
    }
  }
}
