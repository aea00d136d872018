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
    let answer = try Searcher.search(encoded, text: "a red circle", in: index, k: 15, ranking: Ranking(.none))
    XCTAssertEqual(answer.ignored, encoded.ignored)
    XCTAssertEqual(answer.rerank, "none")
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

  func testTheDefaultReRankingMatchesTheReferenceAndFallsBackOnOldIndexes() throws {
    let files = try SearchFixture.files()
    let encoder = try QueryEncoder(modelAt: files.model)
    let url = URL(fileURLWithPath: files.indexFolder).appendingPathComponent("image.cmhindex")
    let index = try IndexFile(contentsOf: url)
    XCTAssertNotNil(index.outputs)
    let encoded = try encoder.encode(text: "a blue star at night")
    let answer = try Searcher.search(encoded, text: "a blue star at night", in: index, k: 12)
    XCTAssertEqual(answer.rerank, Ranking.defaultMethod.rawValue)
    let reference = RerankReference.search(encoded.query.output, code: encoded.codes, 0, in: index.codes, stored: index.outputs,
                                           method: Ranking.defaultMethod, candidates: index.count)
    XCTAssertEqual(answer.results.map(\.id), reference.prefix(12).map { index.item($0).id })
    XCTAssertEqual(answer.results.map { $0.score! }, answer.results.map { $0.score! }.sorted(by: >))
    for r in answer.results {  // tie counts from the candidates, or from the whole index at the edge
      XCTAssertEqual(r.tied, (0..<index.count).filter { index.codes.distance($0, to: encoded.codes, 0) == r.distance }.count)
    }
    for candidates in [3, 5, 8] {  // few candidates: shown distances at the candidates' edge
      let few = try Searcher.search(encoded, text: "x", in: index, k: 3, ranking: Ranking(.stored, settings: RerankSettings(candidates: candidates)))
      for r in few.results {
        XCTAssertEqual(r.tied, (0..<index.count).filter { index.codes.distance($0, to: encoded.codes, 0) == r.distance }.count, "\(candidates)")
      }
    }
    XCTAssertTrue(answer.ties.contains("re-ranked by the stored score"), answer.ties)
    // An index without stored outputs (as an older cmh wrote it): the default falls back, a method asked for by name is refused.
    let old = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-old-index-\(getpid()).cmhindex")
    defer { try? FileManager.default.removeItem(at: old) }
    try IndexFile.write(codes: index.codes, modality: .image, items: (0..<index.count).map(index.item), modelFingerprint: encoder.fingerprint, to: old)
    let oldIndex = try IndexFile(contentsOf: old)
    XCTAssertEqual(try Searcher.search(encoded, text: "a blue star at night", in: oldIndex, k: 5).rerank, "asymmetric")
    XCTAssertThrowsError(try Searcher.search(encoded, text: "x", in: oldIndex, k: 5, ranking: Ranking(.stored))) {
      XCTAssertTrue("\($0)".contains("keeps no stored outputs") && "\($0)".contains("--rerank asymmetric"), "\($0)")
    }
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
    let fromFile = try encoder.encode(imageFile: url), fromBytes = try encoder.encode(imageData: Data(contentsOf: url), name: "x")
    XCTAssertEqual(fromFile.codes.allWords, fromBytes.codes.allWords)
    XCTAssertEqual(fromFile.output, fromBytes.output)
    XCTAssertEqual(BinaryCodes(signs: [fromFile.output], bits: encoder.bits).allWords, fromFile.codes.allWords, "the code is the output's signs")
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
    XCTAssertTrue(page.contains("distance 0 — 2 items of the index at this distance"), page)
  }

  func testResultsPageShowsTheImageQueryAndTieGroups() throws {
    var query = SearchQuery.image("/data/q.png")
    query.labels = ["dog"]
    query.caption = "a dog & a ball"
    let results = [(0, 3), (0, 3), (2, 9)].enumerated().map { i, group in
      SearchResult(rank: i + 1, id: "t\(i)", distance: group.0, tied: group.1, image: nil, text: "text \(i)", labels: ["dog"], matched: ["dog"])
    }
    let answer = SearchAnswer(query: query, target: "text", index: nil, size: 40, ignored: [], ties: SearchAnswer.tieRule, results: results)
    let page = ResultsPage.render(answer, pageFolder: URL(fileURLWithPath: "/data/pages"))
    XCTAssertTrue(page.contains("src=\"../q.png\""), page)
    XCTAssertTrue(page.contains("labels: <b>dog</b>") && page.contains("“a dog &amp; a ball”"), page)
    XCTAssertTrue(page.contains("distance 0 — 3 items of the index at this distance") && page.contains("distance 2 — 9 items"), page)
    XCTAssertTrue(page.contains("<ol start=3>"), "the second group's list goes on from rank 3")
    XCTAssertEqual(page.components(separatedBy: "<section").count - 1, 2)
  }
}
