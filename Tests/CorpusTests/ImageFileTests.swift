// Tests of reading photos in every format: PNG and WebP files written by another encoder (PIL,
// scripts/make-image-fixtures.py), formats told by content, and damaged files refused by name.

import Corpus
import Foundation
import XCTest

final class ImageFileTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  func fixture(_ name: String) throws -> Data { try Data(contentsOf: Self.fixtures.appendingPathComponent(name)) }

  /// Pixel (x, y) of the patterned fixtures: (16x, 32y, 128).
  func pattern(_ w: Int, _ h: Int) -> [UInt8] {
    (0..<h).flatMap { y in (0..<w).flatMap { x in [UInt8(16 * x), UInt8(32 * y), 128] } }
  }

  func testPNGInEveryLayout() throws {
    let rgb = try ImageFile.decode(fixture("pattern.png"))
    XCTAssertEqual([rgb.width, rgb.height], [8, 6])
    XCTAssertEqual(rgb.pixels, pattern(8, 6))
    XCTAssertEqual(try ImageFile.decode(fixture("palette.png")).pixels, pattern(8, 6), "48 colours fit the palette exactly")
    let grayAlpha = try ImageFile.decode(fixture("gray-alpha.png"))
    XCTAssertEqual(Array(grayAlpha.pixels.prefix(12)), [100, 100, 100, 100, 100, 100, 255, 255, 255, 255, 255, 255],
                   "grey expanded to RGB; transparent pixels laid on white")
    let image = RGBImage(width: 5, height: 3, pixels: (0..<45).map { UInt8($0 * 5) })
    XCTAssertEqual(try ImageFile.decode(PNG.encode(image)), image, "PNG round trip is exact")
  }

  func testWebP() throws {
    XCTAssertEqual(try ImageFile.decode(fixture("lossless.webp")).pixels, pattern(8, 6))
    let lossy = try ImageFile.decode(fixture("lossy.webp"))
    XCTAssertEqual([lossy.width, lossy.height], [16, 8])
    let worst = zip(lossy.pixels, [UInt8]((0..<128).flatMap { _ in [200, 40, 90] as [UInt8] })).map { abs(Int($0) - Int($1)) }.max()!
    XCTAssertLessThan(worst, 12, "a flat colour survives lossy coding")
    XCTAssertThrowsError(try ImageFile.decode(fixture("animated.webp"))) { XCTAssertTrue("\($0)".contains("animated"), "\($0)") }
  }

  func testFormatIsToldByContentNotName() throws {
    XCTAssertEqual(ImageFile.format(of: try fixture("pattern.png")), .png)
    XCTAssertEqual(ImageFile.format(of: try fixture("lossy.webp")), .webp)
    XCTAssertEqual(ImageFile.format(of: try JPEG.encode(RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 12)))), .jpeg)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-formats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let misnamed = folder.appendingPathComponent("photo.jpg")  // a PNG named .jpg, as web collections have them
    try fixture("pattern.png").write(to: misnamed)
    XCTAssertEqual(try ImageFile.read(misnamed).pixels, pattern(8, 6))
    XCTAssertThrowsError(try ImageFile.read(folder.appendingPathComponent("missing.jpg"))) { XCTAssertTrue("\($0)".contains("cannot read the file"), "\($0)") }
  }

  func testDamagedFilesAreRefused() throws {
    let pixels = (0..<(64 * 48 * 3)).map { UInt8(($0 * 7) % 251) }
    let jpeg = try JPEG.encode(RGBImage(width: 64, height: 48, pixels: pixels))
    XCTAssertThrowsError(try ImageFile.decode(jpeg.prefix(jpeg.count * 7 / 10))) {
      XCTAssertTrue("\($0)".contains("the file ends before its image data does"), "a JPEG cut at 70%: \($0)")
    }
    let png = try PNG.encode(RGBImage(width: 64, height: 48, pixels: pixels))
    XCTAssertThrowsError(try ImageFile.decode(png.prefix(png.count * 7 / 10))) { XCTAssertTrue("\($0)".contains("not a readable PNG"), "\($0)") }
    let webp = try fixture("lossless.webp")
    XCTAssertThrowsError(try ImageFile.decode(webp.prefix(webp.count - 8))) { XCTAssertTrue("\($0)".contains("WebP"), "\($0)") }
    XCTAssertThrowsError(try ImageFile.decode(Data("GIF89a....".utf8))) {
      XCTAssertEqual("\($0)", "not a JPEG, PNG or WebP image (it starts with 0x47 0x49 0x46 0x38)")
    }
    XCTAssertThrowsError(try ImageFile.decode(Data())) { XCTAssertEqual("\($0)", "the file is empty") }
    // A JPEG's frame header edited to 26,800 × 26,800 (718 megapixels in 2 KB): refused before any
    // allocation (it once allocated 2.2 GB and trapped).
    var wide = jpeg
    let frame = try XCTUnwrap(wide.range(of: Data([0xFF, 0xC0]))).lowerBound + 5
    wide.replaceSubrange(frame..<(frame + 4), with: [0x68, 0xB0, 0x68, 0xB0])
    XCTAssertThrowsError(try ImageFile.decode(wide)) { XCTAssertTrue("\($0)".contains("26800x26800") && "\($0)".contains("megapixels"), "\($0)") }
    var huge = png  // the header's width edited to 2^30: refused before any allocation
    huge.replaceSubrange(16..<20, with: [0x40, 0, 0, 0])
    XCTAssertThrowsError(try ImageFile.decode(huge))
  }
}
