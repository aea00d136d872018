// Tests of the search library: query encoding and its errors, results against a brute-force
// ranking, tie counts, marked labels, the JSON shape, index sets, and the HTML page.

import Corpus
import Foundation
import Hashing
import Search
import SearchFixture
import XCTest

final class SearchTests: XCTestCase {
  func testTextSearchMatchesABruteForceRanking() throws {
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: files.indexFolder).appendingPathComponent("image.cmhindex"))
    try encoder.check(index, modality: .image)
    let encoded = try encoder.encode(text: "a red circle on the grass zzyzx")
    XCTAssertEqual(encoded.ignored.last, "zzyzx")
    XCTAssertTrue(encoded.words.contains("red") && encoded.words.contains("grass"), "\(encoded.words)")
    let answer = Searcher.search(encoded, text: "a red circle", in: index, k: 15)
    XCTAssertEqual(answer.ignored, encoded.ignored)
    // Brute force: every item's distance, ties by position.
    let expected = (0..<index.count).map { (index.codes.distance($0, to: encoded.codes, 0), $0) }.sorted { $0 < $1 }.prefix(15)
    XCTAssertEqual(answer.results.map(\.id), expected.map { index.item($0.1).id })
    XCTAssertEqual(answer.results.map(\.distance), expected.map(\.0))
    for r in answer.results {
      XCTAssertEqual(r.tied, (0..<index.count).filter { index.codes.distance($0, to: encoded.codes, 0) == r.distance }.count)
      XCTAssertEqual(r.matched, r.labels.filter { encoded.words.contains($0) })
      XCTAssertNotNil(r.image)
      XCTAssertNil(r.text)
    }
    XCTAssertEqual(answer.size, index.count)
  }

  func testBatchedTextEncodingEqualsOneAtATimeAndReportsEachFailure() throws {
    let encoder = try QueryEncoder(modelAt: try SearchFixture.files().model)
    let texts = ["a blue star at night", "qwerty asdf", "", "green square on sand", "a blue star at night"]
    let batch = encoder.encode(texts: texts)
    XCTAssertEqual(batch.count, texts.count)
    for (text, result) in zip(texts, batch) {
      switch result {
      case .success(let e): XCTAssertEqual(e.codes.allWords, try encoder.encode(text: text).codes.allWords, text)
      case .failure(let error):
        XCTAssertEqual(error.kind, .badQuery)
        XCTAssertTrue(text.isEmpty ? error.description.contains("no words") : error.description.contains("none of the words of \"qwerty asdf\""), error.description)
      }
    }
    XCTAssertEqual(batch.filter { (try? $0.get()) != nil }.count, 3)
  }

  func testImageQueriesFromFilesAndBytesAgreeAndBadBytesAreRefused() throws {
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let url = files.corpus.imageURL(files.corpus.pairs[0])!
    XCTAssertEqual(try encoder.encode(imageFile: url).allWords, try encoder.encode(imageData: Data(contentsOf: url), name: "x").allWords)
    XCTAssertThrowsError(try encoder.encode(imageData: Data("not an image".utf8), name: "upload.jpg")) {
      XCTAssertEqual(($0 as? SearchError)?.kind, .badQuery)
      XCTAssertTrue("\($0)".contains("upload.jpg"), "\($0)")
    }
    XCTAssertThrowsError(try encoder.encode(imageFile: files.folder.appendingPathComponent("missing.jpg"))) { XCTAssertTrue("\($0)".contains("missing.jpg")) }
  }

  func testAnswerJSONHasTheDocumentedShape() throws {
    let answer = SearchAnswer(query: .text("a \"quoted\" \\ path/x"), target: "text", index: "default", size: 3, ignored: [], ties: SearchAnswer.tieRule,
                              results: [SearchResult(rank: 1, id: "a,b", distance: 2, tied: 1, image: nil, text: "x", labels: ["sea, blue"], matched: [])])
    let data = try JSONEncoder().encode(answer)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual((object["query"] as? [String: Any])?["text"] as? String, "a \"quoted\" \\ path/x")
    let first = try XCTUnwrap((object["results"] as? [[String: Any]])?.first)
    XCTAssertEqual(Set(first.keys), ["rank", "id", "distance", "tied", "text", "labels", "matched"])
    XCTAssertEqual(first["labels"] as? [String], ["sea, blue"])
    XCTAssertEqual(try JSONDecoder().decode(SearchAnswer.self, from: data), answer)
  }

  func testIndexSetsOpenFoldersAndFilesAndRefuseMismatches() throws {
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let sets = try IndexSets.open(["a=\(files.indexFolder)", "image=\(files.indexFolder)/image.cmhindex"], encoder: encoder)
    XCTAssertEqual(Set(sets.keys), ["a", "default"])
    XCTAssertEqual(sets["a"]?.modalities, [.image, .text])
    XCTAssertEqual(sets["default"]?.modalities, [.image])
    let first = try sets["a"]!.file(.text).item(0).id
    XCTAssertEqual(sets["a"]?.position(of: first, in: .text), 0)
    XCTAssertThrowsError(try sets["default"]!.file(.text)) { XCTAssertEqual(($0 as? SearchError)?.kind, .notFound) }
    for (spec, words) in [("text=\(files.indexFolder)/image.cmhindex", "is a image index, not a text index"), ("nothing", "expected NAME=FILE"),
                          ("a=/no/such/folder", "no such file"), ("a=\(files.folder.path)", "without image.cmhindex")] {
      XCTAssertThrowsError(try IndexSets.open([spec], encoder: encoder), spec) { XCTAssertTrue("\($0)".contains(words), "\($0)") }
    }
    XCTAssertThrowsError(try IndexSets.open(["a=\(files.indexFolder)", "a=\(files.indexFolder)"], encoder: encoder)) {
      XCTAssertTrue("\($0)".contains("already has"), "\($0)")
    }
  }

  func testResultsPageLinksRelativelyEscapesAndMarks() throws {
    let answer = SearchAnswer(query: .text("<red> circle"), target: "image", index: nil, size: 2, ignored: [], ties: SearchAnswer.tieRule,
                              results: [SearchResult(rank: 1, id: "p1", distance: 0, tied: 2, image: "/data/photos/a b.jpg", text: nil,
                                                     labels: ["red", "sky"], matched: ["red"])])
    let page = ResultsPage.render(answer, pageFolder: URL(fileURLWithPath: "/data/pages"))
    XCTAssertTrue(page.contains("“&lt;red&gt; circle”"))
    XCTAssertTrue(page.contains("src=\"../photos/a%20b.jpg\""), page)
    XCTAssertTrue(page.contains("<b>red</b>, sky"))
    XCTAssertTrue(page.contains("(2 tied)"))
  }
}
