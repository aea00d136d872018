// CPUFeatures: the processor's name and the vector units it has and the OS enables (CPUID, XGETBV).

import CCPUID

/// The widest vector level a processor offers, in the order BLAS kernels need them.
public enum VectorLevel: Int, Comparable, Codable, CustomStringConvertible, Sendable {
  case baseline = 0   // SSE2/SSE3: OpenBLAS's generic "Prescott" kernel
  case sse4 = 1
  case avx = 2
  case avx2 = 3       // AVX2 with FMA
  case avx512 = 4     // AVX-512 F, BW, VL, DQ with the OS saving the ZMM state

  public static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

  public var description: String {
    switch self {
    case .baseline: return "SSE3"
    case .sse4: return "SSE4.2"
    case .avx: return "AVX"
    case .avx2: return "AVX2"
    case .avx512: return "AVX-512"
    }
  }
}

/// What CPUID says of this processor. Built from the hardware by `current`, or by hand in tests.
public struct CPUFeatures: Codable, Equatable, Sendable {
  public var isX86: Bool
  public var vendor: String
  public var family: Int
  public var model: Int
  public var brand: String
  /// Feature names as `/proc/cpuinfo` spells them, only those the OS has enabled.
  public var features: [String]

  public init(isX86: Bool = true, vendor: String = "GenuineIntel", family: Int = 6, model: Int = 0,
              brand: String = "", features: [String]) {
    self.isX86 = isX86; self.vendor = vendor; self.family = family; self.model = model
    self.brand = brand; self.features = features
  }

  public func has(_ name: String) -> Bool { features.contains(name) }

  /// The widest level all of whose features are present.
  public var level: VectorLevel {
    guard isX86 else { return .baseline }
    if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"].allSatisfy(has) { return .avx512 }
    if has("avx2") && has("fma") { return .avx2 }
    if has("avx") { return .avx }
    if has("sse4_2") { return .sse4 }
    return .baseline
  }

  /// This processor, read once.
  public static let current: CPUFeatures = {
    var raw = cmh_cpu_features()
    cmh_read_cpu_features(&raw)
    let brand = withUnsafeBytes(of: raw.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let ymm = raw.os_avx != 0, zmm = raw.os_avx512 != 0
    let flags: [(String, Int32, Bool)] = [
      ("sse4_2", raw.sse42, true), ("avx", raw.avx, ymm), ("fma", raw.fma, ymm), ("avx2", raw.avx2, ymm),
      ("avx512f", raw.avx512f, zmm), ("avx512bw", raw.avx512bw, zmm), ("avx512vl", raw.avx512vl, zmm),
      ("avx512dq", raw.avx512dq, zmm), ("avx512cd", raw.avx512cd, zmm), ("avx512_bf16", raw.avx512_bf16, zmm),
      ("avx512_vpopcntdq", raw.avx512_vpopcntdq, zmm), ("amx_tile", raw.amx_tile, raw.os_amx != 0), ("amx_bf16", raw.amx_bf16, raw.os_amx != 0),
    ]
    let vendor = raw.vendor_intel != 0 ? "GenuineIntel" : raw.vendor_amd != 0 ? "AuthenticAMD" : raw.is_x86 != 0 ? "other" : "not x86"
    return CPUFeatures(isX86: raw.is_x86 != 0, vendor: vendor, family: Int(raw.family), model: Int(raw.model),
                       brand: brand, features: flags.filter { $0.1 != 0 && $0.2 }.map(\.0))
  }()
}
