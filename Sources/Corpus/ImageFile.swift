// ImageFile: reads a photo whatever its format — JPEG, PNG or WebP, told by its first bytes, not by
// its name (PNG files named .jpg are common in web collections).

import Foundation

public enum ImageFile {
  public enum Format: String, Sendable { case jpeg = "JPEG", png = "PNG", webp = "WebP" }

  /// The file names that folder importers take as images.
  public static let extensions: Set<String> = ["jpg", "jpeg", "png", "webp"]

  /// Images larger than this are refused before their pixels are allocated (a damaged header can
  /// claim any size); a caller may set a smaller budget (the server's per-upload pixel limit).
  public static let maximumPixels = 1 << 28

  /// The format that `data` starts like, if any.
  public static func format(of data: Data) -> Format? {
    let b = [UInt8](data.prefix(12))
    if b.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if b.count == 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return .webp }
    return nil
  }

  /// Decodes a JPEG (turned upright as its EXIF orientation says), PNG or WebP image of at most
  /// `maximumPixels` pixels (checked from the header, before the pixels are allocated).
  public static func decode(_ data: Data, maximumPixels: Int = maximumPixels) throws -> RGBImage {
    switch format(of: data) {
    case .jpeg: return try JPEG.decode(data, maximumPixels: maximumPixels)
    case .png: return try PNG.decode(data, maximumPixels: maximumPixels)
    case .webp: return try WebP.decode(data, maximumPixels: maximumPixels)
    case nil:
      let start = data.prefix(4).map { String(format: "0x%02X", $0) }.joined(separator: " ")
      throw ImageError(description: data.isEmpty ? "the file is empty" : "not a JPEG, PNG or WebP image (it starts with \(start))")
    }
  }

  /// Reads and decodes the image at `url`.
  public static func read(_ url: URL) throws -> RGBImage {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw ImageError(description: "cannot read the file: \(error.localizedDescription)") }
    return try decode(data)
  }

  static func checkSize(width: Int, height: Int, maximumPixels: Int) throws {
    guard width > 0, height > 0, width <= maximumPixels / height else {
      throw ImageError(description: "a \(width)×\(height) image: larger than \(maximumPixels >> 20) megapixels, or empty")
    }
  }
}
