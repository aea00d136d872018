// A pair of layers split between two ranks by the units between them (UnitShare) against the same
// pair in one process: the two ranks run on two threads and meet in an exchange that does in
// memory what MPI's gather and reduce-scatter do. Each rank's rows of the output, its rows and
// columns of the weight gradients, and the bias gradients summed over the ranks match the whole
// pair's; an optimiser step over each rank's owned segments, put together, is the whole step.

import Foundation
import Platform
import Tensor
import XCTest

/// Two ranks' collectives in one process: each call waits until both ranks have made it.
private final class Meeting: @unchecked Sendable {
  private let condition = NSCondition()
  private var parts: [Tensor?] = [nil, nil], result: [Tensor] = []
  private var round = 0

  /// Every rank's `part`, in rank order, once both have given theirs.
  func meet(_ rank: Int, _ part: Tensor) -> [Tensor] {
    condition.lock()
    defer { condition.unlock() }
    let mine = round
    parts[rank] = part
    if parts.allSatisfy({ $0 != nil }) {
      result = parts.map { $0! }
      parts = [nil, nil]
      round += 1
      condition.broadcast()
    } else {
      while round == mine { condition.wait() }
    }
    return result
  }
}

private final class InMemoryExchange: UnitExchange {
  let rank: Int, meeting: Meeting
  init(rank: Int, meeting: Meeting) { (self.rank, self.meeting) = (rank, meeting) }

  func gather(_ part: Tensor) -> Tensor {
    let all = meeting.meet(rank, part)
    return Tensor(shape: [all.reduce(0) { $0 + $1.shape[0] }, part.shape[1]], values: all.flatMap(\.scalars))
  }

  func sumRows(_ whole: Tensor) -> Tensor {
    let all = meeting.meet(rank, whole), k = whole.shape[1]
    let rows = MPI.share(whole.shape[0], rank: rank, size: 2)
    return Tensor(shape: [rows.count, k], values: rows.flatMap { r in (0..<k).map { c in all[0].scalars[r * k + c] + all[1].scalars[r * k + c] } })
  }
}

final class UnitShareTests: XCTestCase {
  override func tearDown() { _ = try? Precision.configure(nil) }

  let (batch, words, hidden, outputs) = (33, 300, 257, 160)

  /// fc1 (sparse rows) → ReLU → fc2, all with the same weights (seed 3).
  private func pair() -> (Linear, ReLU, Linear) {
    var g = RandomGenerator(seed: 3)
    return (Linear(words, hidden, generator: &g), ReLU(), Linear(hidden, outputs, generator: &g))
  }

  private func data() -> (SparseRows, Tensor) {
    var g = RandomGenerator(seed: 4)
    let rows = (0..<batch).map { r in (0..<6).map { j in (column: (r * 37 + j * 11) % words, value: Float(j + 1) / 2) } }
    return (SparseRows(columnCount: words, rows: rows), g.normal([batch, outputs]))
  }

  /// The pair's output and gradients (y, dW1, db1, dW2, db2) in one process.
  private func whole() -> [Tensor] {
    let (fc1, relu, fc2) = pair(), (x, dy) = data()
    let y = fc2.forward(relu.forward(fc1.forward(sparse: x)))
    fc1.backwardSparse(relu.backward(fc2.backward(dy)))
    return [y, fc1.weight.grad, fc1.bias!.grad, fc2.weight.grad, fc2.bias!.grad]
  }

  /// The same on two ranks: each rank's output rows and gradients.
  private func split() -> [[Tensor]] {
    let meeting = Meeting(), (x, dy) = data()
    var results: [[Tensor]] = [[], []]
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: 2) { rank in
      let (fc1, relu, fc2) = pair(), exchange = InMemoryExchange(rank: rank, meeting: meeting)
      let units = MPI.share(hidden, rank: rank, size: 2), rows = MPI.share(batch, rank: rank, size: 2)
      fc1.share = UnitShare(.outputs, units: units, exchange: exchange)
      fc2.share = UnitShare(.inputs, units: units, exchange: exchange)
      let y = fc2.forward(relu.forward(fc1.forward(sparse: x)))
      let mine = Tensor(shape: [rows.count, outputs], values: Array(dy.scalars[(rows.lowerBound * outputs)..<(rows.upperBound * outputs)]))
      fc1.backwardSparse(relu.backward(fc2.backward(mine)))
      lock.withLock { results[rank] = [y, fc1.weight.grad, fc1.bias!.grad, fc2.weight.grad, fc2.bias!.grad] }
    }
    return results
  }

  private func check(close: (Tensor, Tensor, String) -> Void) {
    let reference = whole(), ranks = split()
    for rank in 0..<2 {
      let units = MPI.share(hidden, rank: rank, size: 2), rows = MPI.share(batch, rank: rank, size: 2)
      let r = ranks[rank]
      close(r[0], Self.rows(reference[0], rows), "rank \(rank): its rows of the output")
      close(Self.rows(r[1], units), Self.rows(reference[1], units), "rank \(rank): its rows of fc1's weight gradient")
      close(Self.rows(r[2].reshaped([hidden, 1]), units), Self.rows(reference[2].reshaped([hidden, 1]), units), "rank \(rank): its part of fc1's bias gradient")
      close(Self.columns(r[3], units), Self.columns(reference[3], units), "rank \(rank): its columns of fc2's weight gradient")
      let others = MPI.share(hidden, rank: 1 - rank, size: 2)
      XCTAssertTrue(Self.rows(r[1], others).scalars.allSatisfy { $0 == 0 } && Self.columns(r[3], others).scalars.allSatisfy { $0 == 0 },
                    "rank \(rank) computes no gradient of the other rank's weights")
    }
    let db2 = Tensor(shape: [outputs], values: zip(ranks[0][4].scalars, ranks[1][4].scalars).map { $0 + $1 })
    close(db2, reference[4], "fc2's bias gradient summed over the ranks")
  }

  func testTwoRanksComputeTheWholePairInFloat32() throws {
    try Precision.configure(.fp32)
    check { a, b, label in
      XCTAssertEqual(a.shape, b.shape, label)
      let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
      XCTAssertLessThan(worst, 1e-5, label)
    }
  }

  func testTwoRanksComputeTheWholePairInBF16() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
    check { a, b, label in BF16ConvolutionTests.assertClose(a, b, label) }
    XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
  }

  /// Each rank's optimiser updates its segments only; put together they are the whole step.
  func testOwnedSegmentsStepAsTheWhole() {
    var g = RandomGenerator(seed: 5)
    let start = g.normal([40, 24]), gradient = g.normal([40, 24])
    func stepped(_ owned: Segments?) -> Parameter {
      let p = Parameter(start.copy())
      p.grad.data.update(from: gradient.data, count: gradient.count)
      p.owned = owned
      let optimizer = Adam(groups: [ParameterGroup([("w", p)], learningRate: 0.01)])
      optimizer.step()
      optimizer.step()
      return p
    }
    let reference = stepped(nil)
    for (name, segments) in [("rows", (0..<2).map { Segments.rows(MPI.share(40, rank: $0, size: 2), width: 24) }),
                             ("columns", (0..<2).map { Segments.columns(MPI.share(24, rank: $0, size: 2), rows: 40, width: 24) })] {
      let parts = segments.map(stepped)
      for (rank, part) in parts.enumerated() {
        let other = Self.pack(segments[1 - rank], part.value)
        XCTAssertEqual(other, Self.pack(segments[1 - rank], start), "\(name): rank \(rank) leaves the other rank's elements alone")
      }
      let joined = parts[0].value.copy()
      segments[1].unpack(Self.pack(segments[1], parts[1].value), into: joined)
      XCTAssertEqual(joined.scalars, reference.value.scalars, "\(name): the ranks' steps put together")
    }
  }

  private static func pack(_ segments: Segments, _ t: Tensor) -> [Float] {
    var out = [Float](repeating: 0, count: segments.total)
    out.withUnsafeMutableBufferPointer { segments.pack(t, into: $0.baseAddress!) }
    return out
  }

  private static func rows(_ t: Tensor, _ rows: Range<Int>) -> Tensor {
    let k = t.shape[1]
    return Tensor(shape: [rows.count, k], values: Array(t.scalars[(rows.lowerBound * k)..<(rows.upperBound * k)]))
  }

  private static func columns(_ t: Tensor, _ columns: Range<Int>) -> Tensor {
    let (n, k) = (t.shape[0], t.shape[1])
    return Tensor(shape: [n, columns.count], values: (0..<n).flatMap { r in columns.map { t.scalars[r * k + $0] } })
  }
}
