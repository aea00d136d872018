// PNG: encoding and decoding through libpng's simplified API. Every colour type and bit depth comes out as
// 8-bit RGB; transparent pixels are laid on white, as a page would show them.

import CPNG
import Foundation

public enum PNG {
  public static func decode(_ data: Data, maximumPixels: Int = ImageFile.maximumPixels) throws -> RGBImage {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard begun != 0 else { throw failure(&image) }
    let (width, height) = (Int(image.width), Int(image.height))
    try ImageFile.checkSize(width: width, height: height, maximumPixels: maximumPixels)
    image.format = png_uint_32(PNG_FORMAT_RGB)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    var white = png_color(red: 255, green: 255, blue: 255)
    let read = pixels.withUnsafeMutableBytes { buffer in
      png_image_finish_read(&image, &white, buffer.baseAddress, png_int_32(width * 3), nil)
    }
    guard read != 0 else { throw failure(&image) }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  public static func encode(_ rgb: RGBImage) throws -> Data {
    var image = png_image()
    image.version = png_uint_32(PNG_IMAGE_VERSION)
    image.width = png_uint_32(rgb.width); image.height = png_uint_32(rgb.height)
    image.format = png_uint_32(PNG_FORMAT_RGB)
    defer { png_image_free(&image) }
    var size: png_alloc_size_t = 0
    // The first call measures, the second writes.
    let measured = rgb.pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
    guard measured != 0 else { throw failure(&image, "cannot write a PNG") }
    var out = Data(count: Int(size))
    let written = out.withUnsafeMutableBytes { buffer in
      rgb.pixels.withUnsafeBytes { png_image_write_to_memory(&image, buffer.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
    }
    guard written != 0 else { throw failure(&image, "cannot write a PNG") }
    return out.prefix(Int(size))
  }

  private static func failure(_ image: inout png_image, _ what: String = "not a readable PNG") -> ImageError {
    let message = withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return ImageError(description: "\(what): \(message.isEmpty ? "libpng failed" : message)")
  }
}
