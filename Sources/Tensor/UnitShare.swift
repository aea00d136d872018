// UnitShare: two dense layers split among the ranks of a data-parallel run by the hidden units
// between them, as Megatron-LM splits a transformer's MLP. The first layer computes this rank's
// units of its output for the whole batch (its weight rows), the second takes those units as its
// input (its weight columns) and the ranks' partial outputs are summed, each rank receiving its
// rows of the batch. Each weight element is then computed and updated by one rank only: a
// 4,096 × 4,096 layer's weight gradient, which every rank computed whole when the batch's rows
// were gathered, is shared like the rest of the work, and no weight gradient crosses the ranks.

import Platform

/// Elements of a tensor in `count` segments of `length` numbers, `stride` apart from `start`:
/// what one rank owns of a weight (rows: one segment; columns: one segment per row).
public struct Segments: Sendable, Equatable {
  public let start: Int, length: Int, stride: Int, count: Int

  /// Rows `rows` of a row-major matrix whose rows are `width` long.
  public static func rows(_ rows: Range<Int>, width: Int) -> Segments {
    Segments(start: rows.lowerBound * width, length: rows.count * width, stride: 0, count: 1)
  }

  /// Columns `columns` of a row-major matrix of `rows` rows of `width`.
  public static func columns(_ columns: Range<Int>, rows: Int, width: Int) -> Segments {
    Segments(start: columns.lowerBound, length: columns.count, stride: width, count: rows)
  }

  /// All `count` elements of a tensor, one segment.
  public static func all(_ count: Int) -> Segments { Segments(start: 0, length: count, stride: 0, count: 1) }

  public var total: Int { length * count }

  /// Runs `body` over parts of the segments. A pass over a parameter (an optimiser's update,
  /// clearing a gradient) is memory-bound, and worth both cores' bandwidth for the millions of
  /// weights of a 4,096-wide layer, so large ones go in parts; a rank's columns (a segment a row)
  /// in whole segments, each part one call, not one call a segment.
  public func inParts(_ body: (Segments) -> Void) {
    let slices = total >= 1 << 18 ? Threads.count * 4 : 1
    if count == 1 {
      Threads.parallelFor(slices) { i in
        let (from, to) = (length * i / slices, length * (i + 1) / slices)
        body(Segments(start: start + from, length: to - from, stride: 0, count: 1))
      }
    } else {
      Threads.parallelFor(min(slices, count)) { i in
        let parts = min(slices, count), (from, to) = (count * i / parts, count * (i + 1) / parts)
        body(Segments(start: start + from * stride, length: length, stride: stride, count: to - from))
      }
    }
  }

  /// The segments' element ranges, in order.
  public var ranges: [Range<Int>] {
    (0..<count).map { start + $0 * stride ..< start + $0 * stride + length }
  }

  /// Copies the segments' numbers of `t`, one after the other, to `out` (`total` numbers).
  public func pack(_ t: Tensor, into out: UnsafeMutablePointer<Float>) {
    var at = 0
    for r in ranges {
      (out + at).update(from: t.data + r.lowerBound, count: r.count)
      at += r.count
    }
  }

  /// Copies `values` (as `pack` gives them) into the segments of `t`.
  public func unpack(_ values: UnsafePointer<Float>, into t: Tensor) {
    var at = 0
    for r in ranges {
      (t.data + r.lowerBound).update(from: values + at, count: r.count)
      at += r.count
    }
    t.noteWrite()
  }

  /// Where `part` (segments of these, as `inParts` gives them) starts when these are packed.
  func packedOffset(of part: Segments) -> Int {
    count == 1 ? part.start - start : (part.start - start) / stride * length
  }
}

/// The collectives a shared pair of layers calls; every rank calls each in the same order.
public protocol UnitExchange: AnyObject {
  /// The whole batch's rows [B, k] from this rank's rows [b, k], in rank order.
  func gather(_ part: Tensor) -> Tensor
  /// The sum over the ranks of `whole` [B, k], this rank's rows of it [b, k].
  func sumRows(_ whole: Tensor) -> Tensor
  /// This rank's positions among `count` rows of a batch.
  func share(_ count: Int) -> Range<Int>
}

/// A layer's part of a shared pair: the hidden units of this rank (the first layer's outputs,
/// the second's inputs). Only a training pass is shared; inference uses the whole weight, which
/// the ranks make whole again between epochs. The first layer reads the whole batch's input.
public struct UnitShare {
  public enum Side: Sendable { case outputs, inputs }
  public let side: Side
  public let units: Range<Int>
  public let exchange: UnitExchange

  public init(_ side: Side, units: Range<Int>, exchange: UnitExchange) {
    (self.side, self.units, self.exchange) = (side, units, exchange)
  }
}

extension Module {
  /// The network's first two Linear layers, when it begins with one and only ReLUs stand between
  /// them: a pair that data-parallel training can split among its ranks by the units between them.
  public var splittablePair: (Linear, Linear)? {
    let leaves = namedModules().map(\.1).filter { $0.children.isEmpty }
    guard let first = leaves.first as? Linear, let at = leaves.dropFirst().firstIndex(where: { !($0 is ReLU) }),
          let second = leaves[at] as? Linear else { return nil }
    return (first, second)
  }

  /// A training pass takes the whole batch's rows and gives this rank's part of the outputs: the
  /// network's first pair is split among the ranks by units.
  public var trainsOnWholeBatch: Bool { splittablePair?.0.share != nil }
}
