// Candidates: the re-ranking's view of the nearest codes — each one's unit vector (its stored
// output, or its code as ±1/√k) scored against a query without building the vectors first.

import Foundation

struct Candidates {
  let hits: [SearchHit]
  let codes: BinaryCodes
  /// The items' stored outputs; nil to score the codes.
  let outputs: StoredOutputs?

  init(_ hits: [SearchHit], codes: BinaryCodes, outputs: StoredOutputs?) {
    self.hits = hits; self.codes = codes; self.outputs = outputs
  }

  var count: Int { hits.count }
  var dimension: Int { codes.bits }

  /// The cosine of unit query `q` and each candidate's vector.
  func cosines(_ q: [Float]) -> [Float] {
    q.withUnsafeBufferPointer { q in
      if let outputs { return hits.map { Self.cosine(q.baseAddress!, outputs.vector($0.index), dimension) } }
      let table = SignTable(q.baseAddress!, bits: dimension)
      return hits.map { table.score(codes.words + $0.index * codes.wordsPerCode) }
    }
  }

  /// ⟨q, v⟩ / ‖v‖ for int8 v, eight values at a time (0 for a zero vector).
  @inline(__always)
  static func cosine(_ q: UnsafePointer<Float>, _ v: UnsafePointer<Int8>, _ k: Int) -> Float {
    var dot = SIMD8<Float>(repeating: 0), norm = SIMD8<Float>(repeating: 0), j = 0
    while j + 8 <= k {
      let x = SIMD8<Float>(UnsafeRawPointer(v + j).loadUnaligned(as: SIMD8<Int8>.self))
      dot += UnsafeRawPointer(q + j).loadUnaligned(as: SIMD8<Float>.self) * x
      norm += x * x
      j += 8
    }
    var d = dot.sum(), n = norm.sum()
    while j < k { let x = Float(v[j]); d += q[j] * x; n += x * x; j += 1 }
    return n > 0 ? d / n.squareRoot() : 0
  }

  /// Candidate r's unit vector.
  func unit(_ r: Int) -> [Float] {
    outputs.map { $0.unit(hits[r].index) } ?? OutputVectors.unit(code: hits[r].index, of: codes)
  }

  /// The squared distances 2 − 2⟨a, b⟩ among the query (point 0) and the candidates: (count+1)²
  /// values, row-major.
  func distances(with q: [Float]) -> [Float] {
    let k = dimension, n = count + 1
    var all = q
    all.reserveCapacity(n * k)
    for r in 0..<count { all += unit(r) }
    var d = [Float](repeating: 0, count: n * n)
    all.withUnsafeBufferPointer { a in
      d.withUnsafeMutableBufferPointer { out in
        for i in 0..<n {
          for j in i..<n {
            let distance = max(0, 2 - 2 * Self.dot(a.baseAddress! + i * k, a.baseAddress! + j * k, k))
            out[i * n + j] = distance
            out[j * n + i] = distance
          }
        }
      }
    }
    return d
  }

  /// ⟨a, b⟩ over k values, eight lanes at a time.
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ k: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0), j = 0
    while j + 8 <= k {
      lanes += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
      j += 8
    }
    var s = lanes.sum()
    while j < k { s += a[j] * b[j]; j += 1 }
    return s
  }
}

/// ⟨q, b⟩/√k for ±1 codes b by table: per byte of a code, the sum of q over the bits it sets, so a
/// 64-bit code costs eight lookups. ⟨q, b⟩ = 2·Σ_{set bits} q_j − Σ_j q_j.
struct SignTable {
  private var table: [Float]
  private let bytes: Int, total: Float, scale: Float

  init(_ q: UnsafePointer<Float>, bits: Int) {
    bytes = (bits + 7) / 8
    table = [Float](repeating: 0, count: bytes * 256)
    var sum: Float = 0
    for j in 0..<bits { sum += q[j] }
    total = sum
    scale = 1 / Float(bits).squareRoot()
    for b in 0..<bytes {
      for value in 1..<256 {
        let low = value & (value - 1), bit = (value ^ low).trailingZeroBitCount, j = b * 8 + bit
        table[b * 256 + value] = table[b * 256 + low] + (j < bits ? q[j] : 0)
      }
    }
  }

  func score(_ code: UnsafePointer<UInt64>) -> Float {
    table.withUnsafeBufferPointer { t in
      var set: Float = 0
      for b in 0..<bytes { set += t[b * 256 + Int((code[b / 8] >> UInt64(8 * (b % 8))) & 0xFF)] }
      return (2 * set - total) * scale
    }
  }
}
