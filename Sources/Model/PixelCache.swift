// PixelCache: the images of a whole corpus decoded, resized and center-cropped at one size, kept
// as bytes in a file beside the corpus and memory-mapped by later runs, so only the first run of
// train, encode or eval decodes JPEGs.
//
// File `<corpus>/cache/pixels-<size>.cmhpix`: magic "CMHPIXEL", version u32 (2), size u32, pairs
// u64, key u64 (a hash of every pair's id, image path, file size and modification time: a changed
// corpus makes a new cache), the CRC-32 u32 of the blocks, zero padding to 64 bytes, then one
// size×size×3 HWC block per pair in pairs.jsonl order (zeros for a pair without an image). Written
// to a temporary file and renamed. A cache that does not match — another corpus, another version,
// damaged bytes — is derived data: it is decoded again, never read.

import Corpus
import Foundation
import ImageNet
import Platform
import Tensor

public final class PixelCache: @unchecked Sendable {
  public static let magic = Data("CMHPIXEL".utf8)
  static let version: UInt32 = 2, headerSize = 64
  public let size: Int
  public let url: URL?
  private let bytes: Data
  var blockSize: Int { size * size * 3 }

  private init(size: Int, url: URL?, bytes: Data) {
    self.size = size
    self.url = url
    self.bytes = bytes
  }

  /// The cache of `corpus` at `size`: mapped from its file when the file matches the corpus,
  /// otherwise built (every image decoded on all threads, `progress(done, total)`) and written.
  /// Where the corpus folder cannot be written, the pixels stay in memory for this run.
  public static func open(_ corpus: Corpus, size: Int, progress: (Int, Int) -> Void = { _, _ in }) throws -> PixelCache {
    if let cache = mapped(corpus, size: size) {
      progress(corpus.pairs.count, corpus.pairs.count)
      return cache
    }
    let url = location(corpus, size), key = self.key(corpus)
    let urls = corpus.pairs.map { corpus.imageURL($0) }
    let file = contents(size: size, pairs: urls.count, key: key, blocks: try decode(urls, size: size, progress: progress))
    guard store(file, at: url), let mapped = try? Data(contentsOf: url, options: .alwaysMapped) else {
      return PixelCache(size: size, url: nil, bytes: file)
    }
    return PixelCache(size: size, url: url, bytes: mapped)
  }

  /// Writes a cache file atomically; false where the corpus folder cannot be written.
  static func store(_ file: Data, at url: URL) -> Bool {
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try AtomicFile.write(file, to: url)
      return true
    } catch {
      return false
    }
  }

  /// Decodes one image into its size×size×3 block; the problem, naming the file, when it cannot.
  static func decode(_ url: URL, _ preprocessing: Preprocessing, into block: UnsafeMutablePointer<UInt8>) -> String? {
    do {
      let cropped = preprocessing.evaluationPixels(try ImageFile.read(url))
      cropped.withUnsafeBufferPointer { block.update(from: $0.baseAddress!, count: $0.count) }
      return nil
    } catch {
      return "\(url.path): \(error)"
    }
  }

  /// The cache file of `corpus` at `size`, mapped, when there is one that matches the corpus.
  static func mapped(_ corpus: Corpus, size: Int) -> PixelCache? {
    let url = location(corpus, size)
    guard let bytes = try? Data(contentsOf: url, options: .alwaysMapped),
          valid(bytes, size: size, pairs: corpus.pairs.count, key: key(corpus)) else { return nil }
    return PixelCache(size: size, url: url, bytes: bytes)
  }

  /// Decoding in the background into what becomes the cache file (see PixelStream).
  static func stream(_ corpus: Corpus, size: Int) -> PixelStream {
    PixelStream(corpus, size: size, url: location(corpus, size), key: key(corpus))
  }

  static func location(_ corpus: Corpus, _ size: Int) -> URL {
    corpus.directory.appendingPathComponent("cache/pixels-\(size).cmhpix")
  }

  /// The size×size×3 HWC bytes of pair `index` (pairs.jsonl order): what a generator of images learns from.
  public func pixels(of index: Int) -> [UInt8] {
    withPixels { Array(UnsafeBufferPointer(start: $0 + index * blockSize, count: blockSize)) }
  }

  /// The cache's blocks, one per pair (HWC bytes).
  func withPixels<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
    bytes.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self) + Self.headerSize) }
  }

  /// size×size×3 bytes per URL (zeros for nil), decoded on all threads; the first unreadable
  /// image stops with its name.
  static func decode(_ urls: [URL?], size: Int, progress: (Int, Int) -> Void) throws -> Data {
    let preprocessing = Preprocessing(size: size), block = size * size * 3
    var pixels = Data(count: urls.count * block)
    let failures = FailureLog()
    for start in stride(from: 0, to: urls.count, by: 256) {
      let end = min(start + 256, urls.count)
      pixels.withUnsafeMutableBytes { raw in
        let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
        Threads.parallelFor(end - start) { j in
          guard let url = urls[start + j] else { return }
          if let problem = decode(url, preprocessing, into: base + (start + j) * block) { failures.record(problem) }
        }
      }
      if let first = failures.first { throw TrainingError(description: first) }
      progress(end, urls.count)
    }
    return pixels
  }

  /// The whole cache file: the header (with the blocks' CRC) and the blocks.
  static func contents(size: Int, pairs: Int, key: UInt64, blocks: Data) -> Data {
    header(size: size, pairs: pairs, key: key, crc: blocks.withUnsafeBytes { CRC32.of($0.baseAddress!, count: $0.count) }) + blocks
  }

  static func header(size: Int, pairs: Int, key: UInt64, crc: UInt32) -> Data {
    var h = magic
    withUnsafeBytes(of: version.littleEndian) { h.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(size).littleEndian) { h.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt64(pairs).littleEndian) { h.append(contentsOf: $0) }
    withUnsafeBytes(of: key.littleEndian) { h.append(contentsOf: $0) }
    withUnsafeBytes(of: crc.littleEndian) { h.append(contentsOf: $0) }
    h.append(Data(count: headerSize - h.count))
    return h
  }

  /// Whether `file` is the cache of this corpus at this size, whole and undamaged (its CRC read
  /// once, at zlib's CRC rate: about 4 GB/s here).
  static func valid(_ file: Data, size: Int, pairs: Int, key: UInt64) -> Bool {
    guard file.count == headerSize + pairs * size * size * 3 else { return false }
    let crc = file.withUnsafeBytes { CRC32.of($0.baseAddress! + headerSize, count: $0.count - headerSize) }
    return file.prefix(headerSize) == header(size: size, pairs: pairs, key: key, crc: crc)
  }

  /// FNV-1a over every pair's id, image path, file size and modification time.
  static func key(_ corpus: Corpus) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ text: String) { for b in text.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01B3 } }
    for pair in corpus.pairs {
      mix(pair.id)
      guard let url = corpus.imageURL(pair) else { mix("|-"); continue }
      let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
      mix("|\(url.path)|\((attributes?[.size] as? Int) ?? -1)|\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
    }
    return hash
  }
}
