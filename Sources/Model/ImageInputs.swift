// ImageInputs: the image tower's input for a list of pairs — decoded, resized and center-cropped
// pixels kept as bytes (decoded once, on all threads; a batch is normalised from them, mirrored
// for training when asked), or a corpus's image feature rows.

import Corpus
import Foundation
import ImageNet
import Platform
import Tensor

public final class ImageInputs: @unchecked Sendable {
  enum Source {
    case pixels(Preprocessing, [UInt8])
    /// Rows of a corpus's pixel cache: item i is the cache's block `rows[i]`.
    case cache(Preprocessing, PixelCache, rows: [Int])
    /// The same, while the cache is being decoded (the first training on a corpus).
    case stream(Preprocessing, PixelStream, rows: [Int])
    case features(FeatureMatrix)
    /// Outputs of a frozen part of the image tower, [n, …].
    case cached(Tensor)
  }
  let source: Source
  public let count: Int

  init(source: Source, count: Int) {
    self.source = source
    self.count = count
  }

  /// Rows that enter the image tower above a frozen prefix (backbone features), [n, …].
  public convenience init(features: Tensor) {
    self.init(source: .cached(features), count: features.shape[0])
  }

  /// The rows when these inputs are backbone features.
  public var features: Tensor? {
    if case .cached(let t) = source { return t }
    return nil
  }

  /// The inputs of `pairs` (indices into the corpus) for a model with `spec`.
  /// With `streaming`, a corpus without a pixel cache is decoded in the background while the
  /// inputs are read (see PixelStream) instead of before they are returned. With `onlyThese`, a
  /// corpus without a pixel cache has only `pairs` decoded, kept in memory, and no cache written
  /// (a rank of an mpirun job encoding its share).
  public static func load(_ corpus: Corpus, pairs: [Int], spec: ModelSpec, streaming: Bool = false, onlyThese: Bool = false,
                          progress: (Int) -> Void = { _ in }) throws -> ImageInputs {
    if spec.architecture == .mlp {
      guard let features = corpus.imageFeatures else {
        throw TrainingError(description: "\(corpus.directory.path): the model's image tower reads feature rows, and this corpus has no features/image.npy")
      }
      guard features.columns == spec.imageFeatures else {
        throw TrainingError(description: "\(corpus.directory.path)/features/image.npy: \(features.columns) columns, the model expects \(spec.imageFeatures ?? 0)")
      }
      progress(pairs.count)
      let rows = features.subset(pairs)
      return ImageInputs(source: .features(spec.imageScaling?.apply(rows) ?? rows), count: pairs.count)
    }
    for i in pairs where corpus.pairs[i].image == nil {
      throw TrainingError(description: "\(corpus.directory.path)/pairs.jsonl: pair \(corpus.pairs[i].id) has no image file, and the model's image tower reads pixels")
    }
    let (size, preprocessing) = (spec.inputSize, Preprocessing(size: spec.inputSize))
    // A cache file is checked (its CRC read) once: here when another way waits behind it, else in open.
    if onlyThese || streaming, let cache = PixelCache.mapped(corpus, size: size) {
      progress(pairs.count)
      return ImageInputs(source: .cache(preprocessing, cache, rows: pairs), count: pairs.count)
    }
    if onlyThese {
      let pixels = try PixelCache.decode(pairs.map { corpus.imageURL(corpus.pairs[$0]) }, size: size) { done, _ in progress(done) }
      return ImageInputs(source: .pixels(preprocessing, [UInt8](pixels)), count: pairs.count)
    }
    if streaming {
      return ImageInputs(source: .stream(preprocessing, PixelCache.stream(corpus, size: size), rows: pairs), count: pairs.count)
    }
    let cache = try PixelCache.open(corpus, size: size) { done, total in progress(done * pairs.count / max(total, 1)) }
    return ImageInputs(source: .cache(preprocessing, cache, rows: pairs), count: pairs.count)
  }

  /// Decodes image files on all threads (a query image); the first unreadable one stops with its name.
  public static func decode(_ urls: [URL], size: Int) throws -> ImageInputs {
    let pixels = try PixelCache.decode(urls, size: size) { _, _ in }
    return ImageInputs(source: .pixels(Preprocessing(size: size), [UInt8](pixels)), count: urls.count)
  }

  /// Images already decoded (an upload): each centre-cropped and resized as at evaluation.
  public static func images(_ images: [RGBImage], size: Int) -> ImageInputs {
    let preprocessing = Preprocessing(size: size)
    return ImageInputs(source: .pixels(preprocessing, images.flatMap { preprocessing.evaluationPixels($0) }), count: images.count)
  }

  /// The network input for the items at `rows`: [b, 3, s, s] normalised pixels (placed as
  /// `orientations` says; feature rows have none) or [b, D] feature rows.
  public func batch(_ rows: [Int], orientations: [Orientation]? = nil) -> Tensor {
    switch source {
    case .features(let f):
      return Tensor(shape: [rows.count, f.columns], values: rows.flatMap { f.row($0) })
    case .cached(let t):
      let itemShape = Array(t.shape.dropFirst())
      return t.reshaped([t.shape[0], t.itemCount]).rows(rows).reshaped([rows.count] + itemShape)
    case .pixels(let p, let pixels):
      return pixels.withUnsafeBufferPointer { Self.normalised($0.baseAddress!, p, rows, orientations) }
    case .cache(let p, let cache, let blocks):
      return cache.withPixels { Self.normalised($0, p, rows.map { blocks[$0] }, orientations) }
    case .stream(let p, let stream, let blocks):
      let wanted = rows.map { blocks[$0] }
      return stream.withBlocks(wanted) { Self.normalised($0, p, wanted, orientations) }
    }
  }

  /// Tells a stream which items come next (the epoch's order), so it decodes them first.
  public func announce(_ items: [Int]) {
    if case .stream(_, let stream, let blocks) = source { stream.announce(items.map { blocks[$0] }) }
  }

  /// Whether the images are being decoded in the background (a first run on the corpus).
  public var isStreaming: Bool {
    if case .stream = source { return true }
    return false
  }

  /// The first image a stream could not decode (its pixels read as zeros).
  public var failure: String? {
    if case .stream(_, let stream, _) = source { return stream.failure }
    return nil
  }

  /// Waits for a stream to decode every image and writes its cache file; throws its failure.
  public func finish() throws {
    if case .stream(_, let stream, _) = source { try stream.finish() }
  }

  /// Blocks `rows` of `base` (size×size×3 bytes each) as a normalised batch [b, 3, s, s].
  private static func normalised(_ base: UnsafePointer<UInt8>, _ p: Preprocessing, _ rows: [Int], _ orientations: [Orientation]?) -> Tensor {
    let s = p.size, bytes = s * s * 3
    let out = Tensor(zeros: [rows.count, 3, s, s])
    let data = out.data
    Threads.parallelFor(rows.count) { i in
      p.normalise(pixels: base + rows[i] * bytes, orientation: orientations?[i] ?? .upright, into: data + i * 3 * s * s)
    }
    return out
  }
}

/// The first failure reported by worker threads.
final class FailureLog: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var first: String?
  func record(_ message: String) {
    lock.lock()
    if first == nil { first = message }
    lock.unlock()
  }
}

extension ImageInputs {
  /// The outputs of `frozen` (in evaluation mode) for every item, computed once in batches: the
  /// input of the layers that train when the lower ones do not.
  public func cached(through frozen: Module, batchSize: Int = 64, progress: (Int) -> Void = { _ in }) -> ImageInputs {
    frozen.setTraining(false)
    guard count > 0 else { return self }
    var out: Tensor?
    for start in stride(from: 0, to: count, by: batchSize) {
      let rows = Array(start..<min(start + batchSize, count))
      let y = frozen.infer(batch(rows))
      if out == nil { out = Tensor(zeros: [count] + Array(y.shape.dropFirst())) }
      (out!.data + start * y.itemCount).update(from: y.data, count: y.count)
      progress(start + rows.count)
    }
    return ImageInputs(source: .cached(out!), count: count)
  }

  /// Noise images (bytes) for benchmarks that time training without a corpus.
  public static func noise(count: Int, size: Int, seed: UInt64) -> ImageInputs {
    var g = RandomGenerator(seed: seed)
    let pixels = (0..<(count * size * size * 3)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    return ImageInputs(source: .pixels(Preprocessing(size: size), pixels), count: count)
  }
}
