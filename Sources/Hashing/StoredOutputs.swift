// StoredOutputs: each item's real-valued network output kept beside its code, as int8 (one byte
// per bit of the code), for re-ranking items whose codes are equal. Each vector is scaled so its
// largest magnitude is 127; re-ranking scores are cosines, so that scale is never needed again.

import Foundation

public struct StoredOutputs: @unchecked Sendable {
  /// Values per item (the code length).
  public let dimension: Int
  public let count: Int
  let memory: MemoryRegion<Int8>

  init(dimension: Int, count: Int, memory: MemoryRegion<Int8>) {
    self.dimension = dimension; self.count = count; self.memory = memory
  }

  /// Quantises `count` row-major vectors of `dimension` values (NaN and ±∞ count as 0).
  public init(quantizing values: UnsafePointer<Float>, count: Int, dimension: Int) {
    precondition(dimension >= 1 && count >= 0, "StoredOutputs: \(count) vectors of \(dimension) values")
    self.init(dimension: dimension, count: count, memory: MemoryRegion<Int8>(count: count * dimension))
    let out = memory.mutableBase
    for i in 0..<count {
      let row = values + i * dimension
      var largest: Float = 0
      for j in 0..<dimension where row[j].isFinite { largest = max(largest, abs(row[j])) }
      guard largest > 0 else { continue }
      let scale = 127 / largest
      for j in 0..<dimension where row[j].isFinite { out[i * dimension + j] = Int8((row[j] * scale).rounded()) }
    }
  }

  /// Quantises rows of equal length (for tests and small sets).
  public init(quantizing rows: [[Float]], dimension: Int) {
    precondition(rows.allSatisfy { $0.count == dimension }, "StoredOutputs: every row must have \(dimension) values")
    let flat = rows.flatMap { $0 }
    self = flat.withUnsafeBufferPointer { StoredOutputs(quantizing: $0.baseAddress!, count: rows.count, dimension: dimension) }
  }

  /// The stored bytes of item `i`.
  public func vector(_ i: Int) -> UnsafePointer<Int8> {
    precondition(i >= 0 && i < count, "StoredOutputs: item \(i) outside 0..<\(count)")
    return memory.base + i * dimension
  }

  /// Item `i`'s vector scaled to unit length (zero stays zero).
  public func unit(_ i: Int) -> [Float] {
    let v = vector(i)
    var values = (0..<dimension).map { Float(v[$0]) }
    OutputVectors.normalise(&values)
    return values
  }

  /// All bytes, in item order (for writing).
  public var bytes: UnsafeBufferPointer<Int8> { UnsafeBufferPointer(start: memory.base, count: count * dimension) }

  /// The outputs at `indices`, copied.
  public func subset(_ indices: [Int]) -> StoredOutputs {
    let result = StoredOutputs(dimension: dimension, count: indices.count, memory: MemoryRegion<Int8>(count: indices.count * dimension))
    for (r, i) in indices.enumerated() { (result.memory.mutableBase + r * dimension).update(from: vector(i), count: dimension) }
    return result
  }
}

/// Unit vectors for scoring: a query's output, a stored output, or a code read as ±1.
public enum OutputVectors {
  public static func normalise(_ v: inout [Float]) {
    var norm: Float = 0
    for x in v { norm += x * x }
    guard norm > 0, norm.isFinite else { v = v.map { _ in 0 }; return }
    let scale = 1 / norm.squareRoot()
    for j in v.indices { v[j] *= scale }
  }

  /// Code `i` as ±1 over √bits: the unit vector of the asymmetric score ⟨f(q), b⟩.
  public static func unit(code i: Int, of codes: BinaryCodes) -> [Float] {
    let scale = 1 / Float(codes.bits).squareRoot()
    return (0..<codes.bits).map { codes.sign(i, bit: $0) * scale }
  }
}
