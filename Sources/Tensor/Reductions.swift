// Reductions: vectorised sums over contiguous floats (eight lanes, so the compiler need not keep
// a strict left-to-right order it would otherwise be bound to).

enum Reductions {
  /// Σ p[i]
  @inline(__always)
  static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD8<Float>(), i = 0
    while i + 8 <= count { acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
    var s = acc.sum()
    while i < count { s += p[i]; i += 1 }
    return s
  }

  /// Σ (p[i] − mean)²
  @inline(__always)
  static func squaredDeviations(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
    var acc = SIMD8<Float>(), i = 0
    let m = SIMD8<Float>(repeating: mean)
    while i + 8 <= count {
      let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
      acc += d * d; i += 8
    }
    var s = acc.sum()
    while i < count { s += (p[i] - mean) * (p[i] - mean); i += 1 }
    return s
  }

  /// Σ a[i]·(b[i] − shift)
  @inline(__always)
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, shift: Float = 0) -> Float {
    var acc = SIMD8<Float>(), i = 0
    let m = SIMD8<Float>(repeating: shift)
    while i + 8 <= count {
      acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) * (UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self) - m)
      i += 8
    }
    var s = acc.sum()
    while i < count { s += a[i] * (b[i] - shift); i += 1 }
    return s
  }

  /// (Σ d[i], Σ d[i]·(b[i] − shift)) where d[i] = a[i] if b[i]·scale + offset > 0, else 0: the
  /// sums a BatchNorm's backward pass takes of the gradient through the ReLU after it.
  @inline(__always)
  static func maskedSumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, shift: Float,
                              scale: Float, offset: Float) -> (Float, Float) {
    var sums = SIMD8<Float>(), dots = SIMD8<Float>(), i = 0
    let m = SIMD8<Float>(repeating: shift)
    while i + 8 <= count {
      var d = SIMD8<Float>()
      for l in 0..<8 { let v = a[i + l]; d[l] = b[i + l] * scale + offset > 0 ? v : 0 }
      sums += d; dots += d * (UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self) - m); i += 8
    }
    var s = sums.sum(), t = dots.sum()
    while i < count {
      let v = a[i], d = b[i] * scale + offset > 0 ? v : 0
      s += d; t += d * (b[i] - shift); i += 1
    }
    return (s, t)
  }
}
