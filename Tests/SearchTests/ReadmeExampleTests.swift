// The README's "From Swift code" example, as written there, on the fixture's model and index:
// the library a program links to search answers as `cmh search` does.

import Foundation
import Hashing
import Search
import SearchFixture
import XCTest

final class ReadmeExampleTests: XCTestCase {
  func testTheReadmesSearchRunsAsWritten() throws {
    let files = try SearchFixture.files()
    // From here as in the README, with the fixture's paths for the demo's.
    let encoder = try QueryEncoder(modelAt: files.model)
    let index = try encoder.openIndex(URL(fileURLWithPath: files.indexFolder + "/image.cmhindex"), modality: .image)
    let text = "a red circle on the grass"
    let results = try Searcher.search(try encoder.encode(text: text), text: text, in: index, k: 10).results
    XCTAssertEqual(results.map(\.rank), Array(1...10))
    XCTAssertTrue(results.allSatisfy { !$0.id.isEmpty && $0.distance >= 0 && $0.distance <= 16 })
    // The same model's other index is refused for image search: the example's check is real.
    XCTAssertThrowsError(try encoder.openIndex(URL(fileURLWithPath: files.indexFolder + "/text.cmhindex"), modality: .image))
  }
}
