// How the ranks of an MPI job share items: contiguous parts that cover every item once, and the
// same in whole blocks (the encoders' batches), each part starting where a block starts.

import Platform
import XCTest

final class MPIShareTests: XCTestCase {
  func testPartsCoverEveryItemOnceInRankOrder() {
    for size in 1...5 {
      for count in [0, 1, 4, 7, 40, 401] {
        let parts = (0..<size).map { MPI.share(count, rank: $0, size: size) }
        XCTAssertEqual(parts.flatMap { Array($0) }, Array(0..<count), "\(count) items, \(size) ranks")
        XCTAssertLessThanOrEqual(parts.map(\.count).max()! - parts.map(\.count).min()!, 1)
      }
    }
  }

  func testPartsInBlocksStartWhereABlockStarts() {
    for size in 1...4 {
      for (count, block) in [(0, 256), (40, 256), (400, 256), (6000, 256), (513, 64), (100, 7)] {
        let parts = (0..<size).map { MPI.share(count, inBlocksOf: block, rank: $0, size: size) }
        let label = "\(count) items in blocks of \(block), \(size) ranks"
        XCTAssertEqual(parts.flatMap { Array($0) }, Array(0..<count), label)
        for part in parts where !part.isEmpty { XCTAssertEqual(part.lowerBound % block, 0, label) }
      }
    }
    // 400 items in blocks of 256: one process encodes 256 then 144; so do two ranks.
    XCTAssertEqual(MPI.share(400, inBlocksOf: 256, rank: 0, size: 2), 0..<256)
    XCTAssertEqual(MPI.share(400, inBlocksOf: 256, rank: 1, size: 2), 256..<400)
  }
}
