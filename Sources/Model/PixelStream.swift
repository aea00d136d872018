// PixelStream: a corpus's pixel cache built while the first training on it runs. Background
// decoders (one per core, at utility priority) decode images in the order the trainer announces —
// the epoch's — staying at most `ahead` images in front of the last batch it asked for (a bounded
// queue: decoding keeps the step fed without taking the cores from it), then the rest of the
// corpus. A batch waits only for its own images, and asks for them first. When every image is
// decoded the cache file is written (atomically) for later runs; an image that cannot be decoded
// is recorded as the stream's failure and its block stays zero.

import Corpus
import Foundation
import ImageNet
import Platform
import Tensor

public final class PixelStream: @unchecked Sendable {
  public let size: Int
  let url: URL, key: UInt64, urls: [URL?], ahead: Int
  private let pixels: UnsafeMutablePointer<UInt8>
  private let condition = NSCondition()
  // Guarded by `condition`:
  private var taken: [Bool], ready: [Bool], remaining: Int
  private var order = [Int](), position = [Int: Int](), next = 0, consumed = 0
  private var urgent = [Int](), leftover = 0
  private var firstFailure: String?
  private var written = false

  var blockSize: Int { size * size * 3 }

  /// Starts decoding the images of `corpus` at `size` (torchvision's evaluation resize and crop).
  init(_ corpus: Corpus, size: Int, url: URL, key: UInt64, ahead: Int = 1024) {
    self.size = size
    self.url = url
    self.key = key
    self.ahead = ahead
    urls = corpus.pairs.map { corpus.imageURL($0) }
    let n = urls.count
    pixels = .allocate(capacity: max(1, n * size * size * 3))
    pixels.initialize(repeating: 0, count: max(1, n * size * size * 3))
    taken = urls.map { $0 == nil }
    ready = taken
    remaining = taken.filter { !$0 }.count
    for _ in 0..<Threads.count {
      let thread = Thread { [self] in decodeLoop() }
      thread.qualityOfService = .utility
      thread.start()
    }
  }

  deinit { pixels.deallocate() }

  /// The first image that could not be decoded.
  public var failure: String? { condition.lock(); defer { condition.unlock() }; return firstFailure }

  /// The order in which cache blocks will be asked for (the next epoch's).
  func announce(_ blocks: [Int]) {
    condition.lock()
    order = blocks
    position = Dictionary(blocks.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    next = 0
    consumed = 0
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until `blocks` are decoded, then lends their bytes.
  func withBlocks<R>(_ blocks: [Int], _ body: (UnsafePointer<UInt8>) -> R) -> R {
    condition.lock()
    for b in blocks {
      if let p = position[b] { consumed = max(consumed, p + 1) }
      if !taken[b] { urgent.append(b) }
    }
    condition.broadcast()
    while !blocks.allSatisfy({ ready[$0] }) { condition.wait() }
    condition.unlock()
    return body(UnsafePointer(pixels))
  }

  /// Waits for every image, then writes the cache file (once); throws the first decoding failure.
  func finish() throws {
    condition.lock()
    while remaining > 0 { condition.wait() }
    let failure = firstFailure, done = written
    written = true
    condition.unlock()
    if let failure { throw UnreadableImage(description: failure) }
    guard !done else { return }
    let file = PixelCache.contents(size: size, pairs: urls.count, key: key, blocks: Data(UnsafeBufferPointer(start: pixels, count: urls.count * blockSize)))
    _ = PixelCache.store(file, at: url)  // a folder that cannot be written just keeps no cache
  }

  private func decodeLoop() {
    let preprocessing = Preprocessing(size: size)
    while let b = take() {
      let message = PixelCache.decode(urls[b]!, preprocessing, into: pixels + b * blockSize)
      condition.lock()
      ready[b] = true
      remaining -= 1
      if firstFailure == nil, let message { firstFailure = message }
      condition.broadcast()
      condition.unlock()
    }
  }

  /// The next block to decode: one a batch waits for, else the next of the announced order within
  /// `ahead` of the consumer, else (the order done) the next of the corpus; nil when all are taken.
  private func take() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      while let b = urgent.popLast() { if !taken[b] { taken[b] = true; return b } }
      while next < order.count && taken[order[next]] { next += 1 }
      if next < order.count {
        if next < consumed + ahead { taken[order[next]] = true; return order[next] }
        condition.wait()
        continue
      }
      while leftover < taken.count && taken[leftover] { leftover += 1 }
      if leftover < taken.count { taken[leftover] = true; return leftover }
      return nil
    }
  }
}
