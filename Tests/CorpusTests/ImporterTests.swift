// Tests of the COCO, folder, manifest and list importers on small fixtures written here, with
// every reason a pair is dropped; and of the tokenizer.

import Corpus
import Foundation
import XCTest

final class ImporterTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-import-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func file(_ path: String, _ text: String) throws -> URL {
    let url = directory.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  func image(_ path: String) throws -> URL {
    let url = directory.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try JPEG.encode(RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 120, count: 192))).write(to: url)
    return url
  }

  func testCoco() throws {
    let instances = try file("annotations/instances.json", """
    {"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}, {"id": 3, "file_name": "c.jpg"}, {"id": 4, "file_name": "d.jpg"}, {"id": 5, "file_name": "gone.jpg"}],
     "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
     "annotations": [{"image_id": 1, "category_id": 18}, {"image_id": 1, "category_id": 1}, {"image_id": 2, "category_id": 1},
                     {"image_id": 4, "category_id": 18}, {"image_id": 5, "category_id": 18}]}
    """)
    let captions = try file("annotations/captions.json", """
    {"annotations": [{"image_id": 1, "caption": "A man walks a dog."}, {"image_id": 1, "caption": "Person and dog outside."},
                     {"image_id": 2, "caption": "A person."}, {"image_id": 3, "caption": "Nothing labelled."}, {"image_id": 5, "caption": "Lost file."}]}
    """)
    for name in ["a.jpg", "b.jpg", "c.jpg", "d.jpg"] { _ = try image("train/\(name)") }
    var settings = CocoImportSettings(instances: [instances], captions: [captions], imageFolders: [directory.appendingPathComponent("train")])
    settings.allCaptions = true
    let (corpus, summary) = try CocoImporter.importCorpus(settings, into: directory.appendingPathComponent("coco"))
    XCTAssertEqual(corpus.info.labels, ["person", "dog"])  // by category id
    XCTAssertEqual(corpus.pairs.map(\.id), ["coco1", "coco2"])
    XCTAssertEqual(corpus.pairs[0].labels, [0, 1])
    XCTAssertEqual(corpus.pairs[0].text, "A man walks a dog. Person and dog outside.")
    XCTAssertEqual(summary.dropped, ["without a label": 1, "without a caption": 1, "whose image file was not found": 1])
    XCTAssertTrue(corpus.info.textVocabulary!.contains("dog"))
    try corpus.write(to: corpus.directory)
    XCTAssertEqual(try Corpus.load(corpus.directory).validate().filter { !$0.problem.contains("split") }, [])
    XCTAssertEqual(corpus.checkingImages().1, [])
    let broken = try file("annotations/broken.json", "{\"images\": [")
    XCTAssertThrowsError(try CocoImporter.importCorpus(CocoImportSettings(instances: [broken], captions: [], imageFolders: []), into: directory)) {
      XCTAssertTrue("\($0)".contains("broken.json: malformed JSON"), "\($0)")
    }
  }

  func testFlatFolderTakesLabelsFromCaptions() throws {
    let captions = ["a dog on the beach", "the dog in snow", "sunset over the beach", "a cat asleep", "snow on the hills"]
    for (n, caption) in captions.enumerated() {
      _ = try image("flat/\(n).\(n % 2 == 0 ? "jpg" : "png")")
      _ = try file("flat/\(n).txt", caption)
    }
    _ = try image("flat/5.png")  // two files of one stem, without a caption
    _ = try image("flat/5.jpg")
    let (corpus, summary) = try FolderImporter.importFolders(directory.appendingPathComponent("flat"), into: directory.appendingPathComponent("c"))
    XCTAssertEqual(corpus.info.labels, ["beach", "dog", "snow"], "words at least two captions use, stop words left out")
    XCTAssertEqual(corpus.pairs.map(\.id), ["0", "1", "2", "3", "4", "5.jpg", "5.png"], "ids unique where two files share a stem")
    XCTAssertEqual(corpus.pairs.map(\.labels), [[0, 1], [1, 2], [0], [], [2], [], []])
    XCTAssertEqual(corpus.pairs[6].text, "", "no caption, no labels: still searchable by its image")
    XCTAssertTrue(summary.description.contains("3 photos have none of the 3 label words"), summary.description)
    let limited = try FolderImporter.importFolders(directory.appendingPathComponent("flat"), labels: .captions(1), into: directory)
    XCTAssertEqual(limited.0.info.labels, ["beach"], "ties between equally common words go by the word")

    _ = try image("bare/x.jpg")
    XCTAssertThrowsError(try FolderImporter.importFolders(directory.appendingPathComponent("bare"), into: directory)) {
      XCTAssertTrue("\($0)".contains("no captions"), "\($0)")
    }
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("empty"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try FolderImporter.importFolders(directory.appendingPathComponent("empty"), into: directory)) {
      XCTAssertTrue("\($0)".contains("no photos below this folder"), "\($0)")
    }
  }

  func testLabelsFile() throws {
    _ = try image("p/a.jpg"); _ = try image("p/sub/b.png"); _ = try image("p/c.jpg")
    let labels = try file("labels.tsv", "# name, tab, labels\na.jpg\tdog, beach\nb\tcat\n\nnobody.jpg\tx\n")
    let (corpus, summary) = try FolderImporter.importFolders(directory.appendingPathComponent("p"), labels: .file(labels), into: directory)
    XCTAssertEqual(corpus.info.labels, ["beach", "cat", "dog"], "only the labels of photos found (\"x\" names none)")
    XCTAssertEqual(corpus.pairs.map(\.id), ["a", "b"])
    XCTAssertEqual(corpus.pairs.map(\.labels), [[0, 2], [1]])
    XCTAssertEqual(corpus.pairs[0].text, "beach dog", "without a caption the text is the labels")
    XCTAssertEqual(summary.dropped, ["not in the labels file": 1])
    for (text, expected) in [("a.jpg dog\n", "labels.tsv:1: expected \"<photo file name><TAB>"), ("a.jpg\t \n", "labels.tsv:1: no labels after the tab"),
                             ("a.jpg\tx\na.jpg\ty\n", "labels.tsv:2: \"a.jpg\" is also on line 1"), ("\n# only\n", "the labels file has no lines")] {
      let bad = try file("labels.tsv", text)
      XCTAssertThrowsError(try FolderImporter.importFolders(directory.appendingPathComponent("p"), labels: .file(bad), into: directory)) {
        XCTAssertTrue("\($0)".contains(expected), "\($0)")
      }
    }
  }

  func testFoldersAndManifest() throws {
    _ = try image("photos/dogs/rex.jpg")
    _ = try file("photos/dogs/rex.txt", "Rex on the sofa\n")
    _ = try image("photos/beach/rex.jpg")  // the same photo under a second label
    _ = try image("photos/beach/sea.png")
    _ = try image("photos/loose.jpg")
    let (corpus, summary) = try FolderImporter.importFolders(directory.appendingPathComponent("photos"), into: directory.appendingPathComponent("mine"))
    XCTAssertEqual(corpus.info.labels, ["beach", "dogs"])
    XCTAssertEqual(corpus.pairs.map(\.id), ["rex", "sea"])
    XCTAssertEqual(corpus.pairs[0].labels, [0, 1])
    XCTAssertEqual(corpus.pairs[0].text, "Rex on the sofa")
    XCTAssertEqual(corpus.pairs[1].text, "beach")
    XCTAssertEqual(summary.dropped, ["directly in the root folder (no label folder)": 1])
    try Data("broken".utf8).write(to: directory.appendingPathComponent("photos/beach/sea.png"))
    try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: corpus.pairs[0].image!))
    let (checked, problems) = corpus.checkingImages()
    XCTAssertEqual(checked.pairs.map(\.id), [], "every image is decoded, whatever its name")
    XCTAssertEqual(problems.count, 2)
    XCTAssertTrue(problems[0].description.contains("image of pair \"rex\": not a JPEG, PNG or WebP image (it starts with 0x6E 0x6F"), problems[0].description)
    XCTAssertTrue(problems[1].description.contains("image of pair \"sea\": not a JPEG, PNG or WebP image"), problems[1].description)

    let manifest = try file("gen/manifest.jsonl", """
    {"image": "img/1.jpg", "text": "a dog at night", "labels": ["dog", "night"]}
    {"image": "img/2.jpg", "text": "a cat", "labels": ["cat"]}
    """)
    let (generated, _) = try FolderImporter.importManifest(manifest, synthetic: true, into: directory.appendingPathComponent("gen-corpus"))
    XCTAssertEqual(generated.info.labels, ["cat", "dog", "night"])
    XCTAssertTrue(generated.pairs.allSatisfy(\.synthetic))
    XCTAssertEqual(generated.pairs[0].image, directory.appendingPathComponent("gen/img/1.jpg").standardizedFileURL.path)
    let bad = try file("gen/bad.jsonl", "{\"image\": \"x.jpg\", \"labels\": [\"a\"]}\n{\"image\": \"y.jpg\", \"labels\": []}\n")
    XCTAssertThrowsError(try FolderImporter.importManifest(bad, synthetic: false, into: directory)) {
      XCTAssertTrue("\($0)".hasSuffix("bad.jsonl:2: field \"labels\" must be a non-empty list of names"), "\($0)")
    }
  }

  func testList() throws {
    let list = try file("wiki/trainset.list", "t1 i1 2\nt2 i2 1\nt3 i9 1\n\n")
    _ = try file("wiki/texts/t1.xml", "<document><text>Rome is <b>old</b>.</text></document>")
    _ = try file("wiki/texts/t2.xml", "<document>Football   match</document>")
    _ = try file("wiki/texts/t3.xml", "<document>Its image is missing</document>")
    _ = try image("wiki/images/history/i1.jpg")
    _ = try image("wiki/images/sport/i2.jpg")
    let categories = try file("wiki/categories.list", "sport\nhistory\n")
    var settings = ListImportSettings(lists: [list], texts: directory.appendingPathComponent("wiki/texts"), images: directory.appendingPathComponent("wiki/images"))
    settings.categories = categories
    let (corpus, summary) = try ListImporter.importCorpus(settings, into: directory.appendingPathComponent("wiki-corpus"))
    XCTAssertEqual(corpus.info.labels, ["sport", "history"])
    XCTAssertEqual(corpus.pairs.map(\.text), ["Rome is old .", "Football match"])
    XCTAssertEqual(corpus.pairs.map(\.labels), [[1], [0]])
    XCTAssertEqual(summary.dropped, ["whose image was not found": 1])
    let bad = try file("wiki/bad.list", "t1 i1\n")
    settings.lists = [bad]
    XCTAssertThrowsError(try ListImporter.importCorpus(settings, into: directory)) { XCTAssertTrue("\($0)".hasSuffix("bad.list:1: expected \"<text-id> <image-id> <class>\" with a class number from 1"), "\($0)") }
  }

  func testTokenizer() {
    let sentences = Tokenizer(mode: .sentences)
    XCTAssertEqual(sentences.tokens("A DOG, on the beach! Ärger über 2 Bälle"), ["a", "dog", "on", "the", "beach", "ärger", "über", "2", "bälle"])
    XCTAssertEqual(sentences.tokens("海边的狗 runs"), ["海边", "边的", "的狗", "runs"])
    XCTAssertEqual(sentences.tokens("犬"), ["犬"])
    XCTAssertEqual(Tokenizer(mode: .tags).tokens("sky  New_York b&w"), ["sky", "new_york", "b&w"])
    XCTAssertEqual(Tokenizer(mode: .sentences, stopWords: Tokenizer.englishStopWords).tokens("a dog on the beach"), ["dog", "beach"])
    XCTAssertEqual(sentences.vocabulary(["dog cat", "dog", "cat bird", "dog"], minimumCount: 2), ["dog", "cat"])
  }
}

final class MirflickrImporterTests: XCTestCase {
  /// A miniature of the official layout: 12 images, tags, and annotation lists.
  static func writeLayout(in root: URL) throws {
    let fm = FileManager.default
    try fm.createDirectory(at: root.appendingPathComponent("mirflickr/meta/tags"), withIntermediateDirectories: true)
    try fm.createDirectory(at: root.appendingPathComponent("annotations"), withIntermediateDirectories: true)
    let jpeg = try JPEG.encode(RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 90, count: 192)))
    for n in 1...12 {
      try jpeg.write(to: root.appendingPathComponent("mirflickr/im\(n).jpg"))
      // "sky" in every image, "sea" in 1…3, "rare" only in 12; image 11 has no tags at all.
      let tags = n == 11 ? [] : (n == 12 ? ["rare"] : ["sky"] + (n <= 3 ? ["sea"] : []) + ["Photo\(n)"])
      try (tags.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("mirflickr/meta/tags/tags\(n).txt"), atomically: true, encoding: .utf8)
    }
    try "1\n2\n3\n12\n".write(to: root.appendingPathComponent("annotations/sea.txt"), atomically: true, encoding: .utf8)
    try "1\n4\n5\n6\n7\n8\n9\n11\n".write(to: root.appendingPathComponent("annotations/sky.txt"), atomically: true, encoding: .utf8)
    try "1\n".write(to: root.appendingPathComponent("annotations/sea_r1.txt"), atomically: true, encoding: .utf8)
    try "About the annotations.\n".write(to: root.appendingPathComponent("annotations/README.txt"), atomically: true, encoding: .utf8)
  }

  func testOfficialLayout() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-mir-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    try Self.writeLayout(in: root)
    var settings = MirflickrImportSettings(images: root.appendingPathComponent("mirflickr"), annotations: root.appendingPathComponent("annotations"))
    settings.minimumTagCount = 3
    let (corpus, summary) = try MirflickrImporter.importCorpus(settings)
    XCTAssertEqual(corpus.info.labels, ["sea", "sky"], "the _r1 list and the README are not labels")
    XCTAssertEqual(corpus.info.textVocabulary, ["sea", "sky"], "tags in at least 3 images")
    // 10: no label; 11: no tag; 12: only a tag outside the vocabulary.
    XCTAssertEqual(corpus.pairs.map(\.id), ["im1", "im2", "im3", "im4", "im5", "im6", "im7", "im8", "im9"])
    XCTAssertEqual(corpus.pairs[0].labels, [0, 1])
    XCTAssertEqual(corpus.pairs[0].text, "sky sea photo1")
    XCTAssertEqual(summary.dropped, ["without a label": 1, "without a tag in the vocabulary": 2])
    try "1\nseven\n".write(to: root.appendingPathComponent("annotations/sky.txt"), atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try MirflickrImporter.importCorpus(settings)) { XCTAssertTrue("\($0)".hasSuffix("sky.txt:2: expected an image number, found \"seven\""), "\($0)") }
  }
}

final class IaprImporterTests: XCTestCase {
  func testLatin1AndBrokenEntities() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-iapr-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let fm = FileManager.default
    try fm.createDirectory(at: root.appendingPathComponent("annotations_complete_eng/01"), withIntermediateDirectories: true)
    try fm.createDirectory(at: root.appendingPathComponent("images/01"), withIntermediateDirectories: true)
    func eng(_ n: Int, _ description: [UInt8]) throws {
      let head = Array("<DOC>\n<DOCNO>annotations/01/\(n).eng</DOCNO>\n<TITLE>Title</TITLE>\n<DESCRIPTION>".utf8)
      let tail = Array("</DESCRIPTION>\n<IMAGE>images/01/\(n).jpg</IMAGE>\n</DOC>\n".utf8)
      try Data(head + description + tail).write(to: root.appendingPathComponent("annotations_complete_eng/01/\(n).eng"))
      try JPEG.encode(RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 50, count: 48))).write(to: root.appendingPathComponent("images/01/\(n).jpg"))
    }
    try eng(1000, Array("a caf".utf8) + [0xE9] + Array(" in Quito; ".utf8))                 // ISO-8859-1 é
    try eng(1001, Array("salt & pepper &nbsp; on a table".utf8))                              // bare & and an unknown entity
    try eng(1002, Array("no label for this one".utf8))
    try eng(1003, [])                                                                         // empty description
    let labels = root.appendingPathComponent("labels.txt")
    try "1000 building person\n1001 table\n1003 sky\n".write(to: labels, atomically: true, encoding: .utf8)
    let (corpus, summary) = try IaprImporter.importCorpus(IaprImportSettings(root: root, labels: labels))
    XCTAssertEqual(corpus.info.labels, ["building", "person", "sky", "table"])
    XCTAssertEqual(corpus.pairs.map(\.id), ["iapr1000", "iapr1001"])
    XCTAssertEqual(corpus.pairs[0].text, "a café in Quito")
    XCTAssertTrue(corpus.pairs[1].text!.hasPrefix("salt") && corpus.pairs[1].text!.hasSuffix("on a table"), corpus.pairs[1].text!)
    XCTAssertEqual(corpus.pairs[1].labels, [3])
    XCTAssertEqual(summary.dropped, ["without a label": 1, "without a description": 1])
    XCTAssertEqual(corpus.checkingImages().1, [])
    try "1000\n".write(to: labels, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try IaprImporter.importCorpus(IaprImportSettings(root: root, labels: labels))) {
      XCTAssertTrue("\($0)".hasSuffix("labels.txt:1: expected \"<image number> <label> [<label> …]\""), "\($0)")
    }
  }
}
