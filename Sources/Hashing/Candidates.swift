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
      if let outputs {
        // One byte of every vector first, in item order: the loads are independent, so their cache
        // misses overlap instead of waiting one by one inside the scoring loop, and neighbouring
        // pages share their table walks.
        var touched: Int8 = 0
        for index in hits.map(\.index).sorted() { touched |= outputs.vector(index)[0] }
        let scores = hits.map { Self.cosine(q.baseAddress!, outputs.vector($0.index), dimension) }
        return touched == .min && scores.isEmpty ? [] : scores
      }
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
  /// values, row-major. Computed in register tiles of 4 points × 16 points: the 16 come from a copy
  /// laid out by dimension (one vector load), the 4 are broadcast, and the sums stay in registers.
  func distances(with q: [Float]) -> [Float] {
    typealias Lanes = SIMD16<Float>
    let k = dimension, n = count + 1, blocks = (n + 15) / 16, rows = (n + 3) / 4 * 4
    var byPoint = q
    byPoint.reserveCapacity(rows * k)
    for r in 0..<count { byPoint += unit(r) }
    byPoint += [Float](repeating: 0, count: (rows - n) * k)
    var byDimension = [Lanes](repeating: Lanes(), count: k * blocks)
    for p in 0..<n { for t in 0..<k { byDimension[t * blocks + p / 16][p % 16] = byPoint[p * k + t] } }
    // Rows past n are written into memory that is dropped; a row's last block only as far as n.
    var d = [Float](repeating: 0, count: rows * n + 16)
    let tail = n - (blocks - 1) * 16
    byPoint.withUnsafeBufferPointer { a in
      byDimension.withUnsafeBufferPointer { b in
        d.withUnsafeMutableBufferPointer { out in
          let base = UnsafeMutableRawPointer(out.baseAddress!)
          for i in stride(from: 0, to: rows, by: 4) {
            for c in 0..<blocks {
              var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
              for t in 0..<k {
                let v = b[t * blocks + c]
                s0 = s0.addingProduct(Lanes(repeating: a[i * k + t]), v)
                s1 = s1.addingProduct(Lanes(repeating: a[(i + 1) * k + t]), v)
                s2 = s2.addingProduct(Lanes(repeating: a[(i + 2) * k + t]), v)
                s3 = s3.addingProduct(Lanes(repeating: a[(i + 3) * k + t]), v)
              }
              for (r, sum) in [s0, s1, s2, s3].enumerated() {
                var distance = Lanes(repeating: 2) - 2 * sum
                distance.replace(with: 0, where: distance .< 0)
                if c < blocks - 1 {
                  base.storeBytes(of: distance, toByteOffset: ((i + r) * n + c * 16) * 4, as: Lanes.self)
                } else {
                  for lane in 0..<tail { out[(i + r) * n + c * 16 + lane] = distance[lane] }
                }
              }
            }
          }
        }
      }
    }
    d.removeLast(d.count - n * n)
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
