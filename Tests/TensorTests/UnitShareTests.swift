// A pair of layers split between two ranks by the units between them (UnitShare) against the same
// pair in one process: the two ranks run on two threads and meet in an exchange that does in
// memory what MPI's gather and reduce-scatter do. Each rank's rows of the output, its rows and
// columns of the weight gradients, and the bias gradients summed over the ranks match the whole
// pair's, with sparse rows (a text tower) and dense rows (a feature-row image tower, whose input
// gradient each rank receives for its rows); an optimiser step over each rank's owned segments,
// put together, is the whole step.

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
    let rows = share(whole.shape[0])
    return Tensor(shape: [rows.count, k], values: rows.flatMap { r in (0..<k).map { c in all[0].scalars[r * k + c] + all[1].scalars[r * k + c] } })
  }

  func share(_ count: Int) -> Range<Int> { MPI.share(count, rank: rank, size: 2) }
}

final class UnitShareTests: XCTestCase {
  override func tearDown() { _ = try? Precision.configure(nil) }

  let (batch, words, hidden, outputs) = (33, 300, 257, 160)

  /// fc1 → ReLU → fc2, all with the same weights (seed 3).
  private func pair() -> (Linear, ReLU, Linear) {
    var g = RandomGenerator(seed: 3)
    return (Linear(words, hidden, generator: &g), ReLU(), Linear(hidden, outputs, generator: &g))
  }

  /// The batch's input rows (sparse, and the same as dense rows) and the output gradient.
  private func data() -> (SparseRows, Tensor, Tensor) {
    var g = RandomGenerator(seed: 4)
    let rows = (0..<batch).map { r in (0..<6).map { j in (column: (r * 37 + j * 11) % words, value: Float(j + 1) / 2) } }
    let dense = Tensor(zeros: [batch, words])
    for (r, row) in rows.enumerated() { for e in row { dense.data[r * words + e.column] = e.value } }
    return (SparseRows(columnCount: words, rows: rows), dense, g.normal([batch, outputs]))
  }

  /// The pair's forward and backward pass on sparse or dense rows; returns its input gradient (nil for sparse rows).
  private func run(_ fc1: Linear, _ relu: ReLU, _ fc2: Linear, dense: Bool, dy: Tensor) -> (Tensor, Tensor?) {
    let (sparse, rows, _) = data()
    let y = fc2.forward(relu.forward(dense ? fc1.forward(rows) : fc1.forward(sparse: sparse)))
    let dh = relu.backward(fc2.backward(dy))
    guard dense else {
      fc1.backwardSparse(dh)
      return (y, nil)
    }
    return (y, fc1.backward(dh))
  }

  /// The pair's output and gradients (y, dW1, db1, dW2, db2, and dx for dense rows) in one process.
  private func whole(dense: Bool) -> [Tensor] {
    let (fc1, relu, fc2) = pair()
    let (y, dx) = run(fc1, relu, fc2, dense: dense, dy: data().2)
    return [y, fc1.weight.grad, fc1.bias!.grad, fc2.weight.grad, fc2.bias!.grad] + (dx.map { [$0] } ?? [])
  }

  /// The same on two ranks: each rank's output rows and gradients.
  private func split(dense: Bool) -> [[Tensor]] {
    let meeting = Meeting(), dy = data().2
    var results: [[Tensor]] = [[], []]
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: 2) { rank in
      let (fc1, relu, fc2) = pair(), exchange = InMemoryExchange(rank: rank, meeting: meeting)
      let units = MPI.share(hidden, rank: rank, size: 2), rows = exchange.share(batch)
      fc1.share = UnitShare(.outputs, units: units, exchange: exchange)
      fc2.share = UnitShare(.inputs, units: units, exchange: exchange)
      let mine = Tensor(shape: [rows.count, outputs], values: Array(dy.scalars[(rows.lowerBound * outputs)..<(rows.upperBound * outputs)]))
      let (y, dx) = run(fc1, relu, fc2, dense: dense, dy: mine)
      lock.withLock { results[rank] = [y, fc1.weight.grad, fc1.bias!.grad, fc2.weight.grad, fc2.bias!.grad] + (dx.map { [$0] } ?? []) }
    }
    return results
  }

  private func check(close: (Tensor, Tensor, String) -> Void) {
    for dense in [false, true] {
      let reference = whole(dense: dense), ranks = split(dense: dense), kind = dense ? "dense rows" : "sparse rows"
      for rank in 0..<2 {
        let units = MPI.share(hidden, rank: rank, size: 2), rows = MPI.share(batch, rank: rank, size: 2)
        let r = ranks[rank]
        close(r[0], Self.rows(reference[0], rows), "\(kind), rank \(rank): its rows of the output")
        close(Self.rows(r[1], units), Self.rows(reference[1], units), "\(kind), rank \(rank): its rows of fc1's weight gradient")
        close(Self.rows(r[2].reshaped([hidden, 1]), units), Self.rows(reference[2].reshaped([hidden, 1]), units), "\(kind), rank \(rank): its part of fc1's bias gradient")
        close(Self.columns(r[3], units), Self.columns(reference[3], units), "\(kind), rank \(rank): its columns of fc2's weight gradient")
        if dense { close(r[5], Self.rows(reference[5], rows), "\(kind), rank \(rank): its rows of the input gradient") }
        let others = MPI.share(hidden, rank: 1 - rank, size: 2)
        XCTAssertTrue(Self.rows(r[1], others).scalars.allSatisfy { $0 == 0 } && Self.columns(r[3], others).scalars.allSatisfy { $0 == 0 },
                      "\(kind): rank \(rank) computes no gradient of the other rank's weights")
      }
      let db2 = Tensor(shape: [outputs], values: zip(ranks[0][4].scalars, ranks[1][4].scalars).map { $0 + $1 })
      close(db2, reference[4], "\(kind): fc2's bias gradient summed over the ranks")
    }
  }

  /// A network's first layer on data skips its input gradient, split or not: zeros of the rows it was given.
  func testAFirstLayerOnDataReturnsNoInputGradient() {
    let (fc1, relu, fc2) = pair(), (_, rows, dy) = data()
    fc1.computesInputGradient = false
    let (_, dx) = run(fc1, relu, fc2, dense: true, dy: dy)
    XCTAssertEqual(dx?.shape, [batch, words])
    XCTAssertTrue(dx?.scalars.allSatisfy { $0 == 0 } ?? false)
    XCTAssertEqual(fc1.weight.grad.scalars, whole(dense: true)[1].scalars, "the weight gradient is the same")
    _ = rows
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
      // Clearing a gradient clears the rank's own segments (the others' are never read there).
      parts[0].zeroGradient()
      XCTAssertEqual(Self.pack(segments[0], parts[0].grad), [Float](repeating: 0, count: segments[0].total), name)
      XCTAssertEqual(Self.pack(segments[1], parts[0].grad), Self.pack(segments[1], gradient), name)
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
