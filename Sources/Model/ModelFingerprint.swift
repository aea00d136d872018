// ModelFingerprint: a 64-bit digest of a model's tensors (names, shapes and values), recorded in
// the index files it writes, so that codes of another model — same bits, other weights — are not
// searched with it by mistake.

import Tensor

extension CrossModalModel {
  /// Never 0, which index files use for "unknown" (files written before fingerprints).
  public func fingerprint() -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ word: UInt64) { h = (h ^ word) &* 0x0000_0100_0000_01B3 }
    let tensors = namedParameters().map { ($0.0, $0.1.value) } + namedBuffers().map { ($0.0, $0.1.value) }
    for (name, tensor) in tensors.sorted(by: { $0.0 < $1.0 }) {
      for byte in name.utf8 { mix(UInt64(byte)) }
      for size in tensor.shape { mix(UInt64(size)) }
      mix(Self.digest(tensor.data, tensor.count))
    }
    return h == 0 ? 1 : h
  }

  /// The fingerprint of the codes this model's queries search: its own, or for a small query model
  /// from `cmh distill` its gallery model's.
  public func galleryFingerprint() -> UInt64 { distillation?.fingerprint ?? fingerprint() }

  /// Four independent FNV-style lanes over the float bits, so the multiplies overlap.
  private static func digest(_ p: UnsafePointer<Float>, _ n: Int) -> UInt64 {
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (1, 2, 3, 4)
    let prime: UInt64 = 0x0000_0100_0000_01B3
    var i = 0
    p.withMemoryRebound(to: UInt32.self, capacity: n) { w in
      while i + 4 <= n {
        lanes.0 = (lanes.0 ^ UInt64(w[i])) &* prime
        lanes.1 = (lanes.1 ^ UInt64(w[i + 1])) &* prime
        lanes.2 = (lanes.2 ^ UInt64(w[i + 2])) &* prime
        lanes.3 = (lanes.3 ^ UInt64(w[i + 3])) &* prime
        i += 4
      }
      while i < n { lanes.0 = (lanes.0 ^ UInt64(w[i])) &* prime; i += 1 }
    }
    return (lanes.0 ^ lanes.1.rotateLeft(17) ^ lanes.2.rotateLeft(31) ^ lanes.3.rotateLeft(47)) &* prime
  }
}

private extension UInt64 {
  func rotateLeft(_ k: UInt64) -> UInt64 { self << k | self >> (64 - k) }
}
