// BinaryCodes: k-bit codes packed row-major in UInt64 words (bit j of a code is bit j%64 of word
// j/64; sign ≥ 0 → 1), owned in memory or mapped from an index file.

import Foundation

/// Memory that holds items of one type: an owned allocation (zeroed), or a region of a mapped
/// file kept alive here.
class MemoryRegion<Element: FixedWidthInteger>: @unchecked Sendable {
  let base: UnsafePointer<Element>
  private let owned: UnsafeMutablePointer<Element>?
  private let keepAlive: AnyObject?

  init(count: Int) {
    let p = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
    p.initialize(repeating: 0, count: max(count, 1))
    owned = p
    base = UnsafePointer(p)
    keepAlive = nil
  }

  init(mapped: UnsafePointer<Element>, owner: AnyObject) {
    base = mapped
    owned = nil
    keepAlive = owner
  }

  var mutableBase: UnsafeMutablePointer<Element> {
    guard let owned else { preconditionFailure("\(Element.self) items mapped from a file are read-only") }
    return owned
  }

  deinit { owned?.deallocate() }
}

/// Packed codes' memory, with the split of two-word codes into halves built once on request.
final class CodeMemory: MemoryRegion<UInt64>, @unchecked Sendable {
  var words: UnsafePointer<UInt64> { base }
  var mutableWords: UnsafeMutablePointer<UInt64> { mutableBase }

  /// Two-word codes split into all first words then all second words.
  private var split: UnsafeMutablePointer<UInt64>?
  private let lock = NSLock()

  func halves(count: Int) -> UnsafePointer<UInt64> {
    lock.lock()
    defer { lock.unlock() }
    if let split { return UnsafePointer(split) }
    let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * max(count, 1))
    for i in 0..<count { p[i] = words[2 * i]; p[count + i] = words[2 * i + 1] }
    split = p
    return UnsafePointer(p)
  }

  deinit { split?.deallocate() }
}

public struct BinaryCodes: @unchecked Sendable {
  public let bits: Int
  public let count: Int
  /// UInt64 words per code: ⌈bits/64⌉.
  public let wordsPerCode: Int
  let memory: CodeMemory

  public static let supportedBits = 8...1024

  /// `count` codes of all zeros.
  public init(bits: Int, count: Int) {
    precondition(Self.supportedBits.contains(bits), "BinaryCodes: \(bits) bits, expected 8 to 1024")
    self.bits = bits
    self.count = count
    self.wordsPerCode = (bits + 63) / 64
    self.memory = CodeMemory(count: count * wordsPerCode)
  }

  init(bits: Int, count: Int, memory: CodeMemory) {
    self.bits = bits
    self.count = count
    self.wordsPerCode = (bits + 63) / 64
    self.memory = memory
  }

  /// Codes from a row-major real matrix of `count` rows × `bits` columns: bit = (value ≥ 0).
  public init(signs values: UnsafePointer<Float>, count: Int, bits: Int) {
    self.init(bits: bits, count: count)
    let w = memory.mutableWords
    for i in 0..<count {
      for j in 0..<bits where values[i * bits + j] >= 0 { w[i * wordsPerCode + j / 64] |= 1 << UInt64(j % 64) }
    }
  }

  /// Codes from rows of ±1 (or any signs); every row must have `bits` values.
  public init(signs rows: [[Float]], bits: Int) {
    precondition(rows.allSatisfy { $0.count == bits }, "BinaryCodes(signs:): every row must have \(bits) values")
    let flat = rows.flatMap { $0 }
    self = flat.withUnsafeBufferPointer { BinaryCodes(signs: $0.baseAddress!, count: rows.count, bits: bits) }
  }

  /// Codes from packed words (`wordsPerCode` words per code); padding bits above `bits` are cleared.
  public init(words: [UInt64], bits: Int) {
    let per = (bits + 63) / 64
    precondition(words.count % per == 0, "BinaryCodes(words:): \(words.count) words is not a multiple of \(per)")
    self.init(bits: bits, count: words.count / per)
    let w = memory.mutableWords
    for i in 0..<words.count { w[i] = words[i] & Self.mask(bits: bits, word: i % per) }
  }

  /// The valid bits of word `word` of a code.
  static func mask(bits: Int, word: Int) -> UInt64 {
    let used = bits - word * 64
    return used >= 64 ? ~0 : (UInt64(1) << UInt64(used)) - 1
  }

  public var words: UnsafePointer<UInt64> { memory.words }

  /// The words of code `i`.
  public func code(_ i: Int) -> UnsafeBufferPointer<UInt64> {
    precondition(i >= 0 && i < count, "BinaryCodes: code \(i) outside 0..<\(count)")
    return UnsafeBufferPointer(start: words + i * wordsPerCode, count: wordsPerCode)
  }

  /// Bit j of code i as ±1.
  public func sign(_ i: Int, bit j: Int) -> Float {
    (code(i)[j / 64] >> UInt64(j % 64)) & 1 == 1 ? 1 : -1
  }

  /// Hamming distance between code `i` of `self` and code `j` of `other`.
  public func distance(_ i: Int, to other: BinaryCodes, _ j: Int) -> Int {
    precondition(bits == other.bits, "Hamming distance between \(bits)-bit and \(other.bits)-bit codes")
    return Hamming.distance(words + i * wordsPerCode, other.words + j * wordsPerCode, wordsPerCode)
  }

  /// The codes at `indices`, copied.
  public func subset(_ indices: [Int]) -> BinaryCodes {
    let result = BinaryCodes(bits: bits, count: indices.count)
    let w = result.memory.mutableWords
    for (r, i) in indices.enumerated() { (w + r * wordsPerCode).update(from: code(i).baseAddress!, count: wordsPerCode) }
    return result
  }

  /// For two-word codes, the first and second words of all codes as two arrays (built on first
  /// request and kept; nil for other lengths). Scans read them eight codes to a vector.
  func halves() -> (UnsafePointer<UInt64>, UnsafePointer<UInt64>)? {
    guard wordsPerCode == 2 else { return nil }
    let p = memory.halves(count: count)
    return (p, p + count)
  }

  /// All words, copied (for writing and comparing).
  public var allWords: [UInt64] { Array(UnsafeBufferPointer(start: words, count: count * wordsPerCode)) }
}

enum Hamming {
  /// popcount(a ⊕ b) over `n` words.
  @inline(__always)
  static func distance(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ n: Int) -> Int {
    var d = 0
    for w in 0..<n { d &+= (a[w] ^ b[w]).nonzeroBitCount }
    return d
  }
}
