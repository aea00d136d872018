// The README's quick start, command for command, on a folder of 200 mixed JPEG and PNG photos with
// captions and no labels (a shapes corpus written out as a person's folder would hold it).

import Corpus
import Foundation
import XCTest

final class QuickStartTests: XCTestCase {
  func testFourCommandsFromAFolderOfPhotosToASearch() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-quickstart-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let photos = try photoFolder(in: folder, count: 200)
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    let imported = try runCMH(["corpus", "import", "folder", photos.path, "--out", path("trip")])
    XCTAssertEqual(imported.0, 0, imported.2)
    XCTAssertTrue(imported.1.contains("kept 200 pairs") && imported.1.contains("labels: the 30 words the captions use most"), imported.1)
    let trained = try runCMH(["train", path("trip"), "--out", path("trip.cmh")])
    XCTAssertEqual(trained.0, 0, trained.2)
    // 100 training photos: where the codes once collapsed (MAP at chance) with these defaults.
    XCTAssertFalse(trained.2.contains("ends collapsed"), trained.2)
    let encoded = try runCMH(["encode", path("trip.cmh"), path("trip"), "--all", "--out", path("trip-index")])
    XCTAssertEqual(encoded.0, 0, encoded.2)
    let searched = try runCMH(["search", "text2image", path("trip.cmh"), path("trip-index/image.cmhindex"), "a red circle at night"])
    XCTAssertEqual(searched.0, 0, searched.2)
    let rows = searched.1.split(separator: "\n").filter { $0.first?.isNumber == true || $0.hasPrefix(" ") }
    XCTAssertEqual(rows.count, 10, searched.1)
    XCTAssertTrue(rows.contains { $0.contains(".png") } || rows.contains { $0.contains(".jpg") }, searched.1)

    let evaluated = try runCMH(["eval", path("trip.cmh"), path("trip"), "--json", "--quiet"])
    for line in evaluated.1.split(separator: "\n").prefix(2) {
      let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      let (map, chance) = (row["map"] as! Double, row["map_chance"] as! Double)
      XCTAssertGreaterThan(map, chance + 0.04, "\(row["direction"]!): MAP \(map), chance \(chance)")
    }
  }

  /// photo000.jpg, photo001.png, … with photo000.txt … captions, from a generated shapes corpus.
  func photoFolder(in folder: URL, count: Int) throws -> URL {
    let shapes = folder.appendingPathComponent("generated")
    let made = try runCMH(["corpus", "make-shapes", "--out", shapes.path, "--pairs", "\(count)", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
    let corpus = try Corpus.load(shapes)
    let photos = folder.appendingPathComponent("photos")
    try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
    for (n, pair) in corpus.pairs.enumerated() {
      let name = String(format: "photo%03d", n), source = corpus.imageURL(pair)!
      if n % 2 == 0 {
        try FileManager.default.copyItem(at: source, to: photos.appendingPathComponent(name + ".jpg"))
      } else {
        try PNG.encode(ImageFile.read(source)).write(to: photos.appendingPathComponent(name + ".png"))
      }
      try (pair.text ?? "").write(to: photos.appendingPathComponent(name + ".txt"), atomically: true, encoding: .utf8)
    }
    return photos
  }
}
