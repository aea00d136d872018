// ImageInputs: the image tower's input for a list of pairs — decoded, resized and center-cropped
// pixels kept as bytes (decoded once, on all threads; a batch is normalised from them, mirrored
// for training when asked), or a corpus's image feature rows.

import Corpus
import Foundation
import ImageNet
import Tensor

public final class ImageInputs: @unchecked Sendable {
  enum Source {
    case pixels(Preprocessing, [UInt8])
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
  public static func load(_ corpus: Corpus, pairs: [Int], spec: ModelSpec, progress: (Int) -> Void = { _ in }) throws -> ImageInputs {
    if spec.architecture == .mlp {
      guard let features = corpus.imageFeatures else {
        throw TrainingError(description: "\(corpus.directory.path): the model's image tower reads feature rows, and this corpus has no features/image.npy")
      }
      guard features.columns == spec.imageFeatures else {
        throw TrainingError(description: "\(corpus.directory.path)/features/image.npy: \(features.columns) columns, the model expects \(spec.imageFeatures ?? 0)")
      }
      progress(pairs.count)
      return ImageInputs(source: .features(features.subset(pairs)), count: pairs.count)
    }
    let urls = try pairs.map { i -> URL in
      guard let url = corpus.imageURL(corpus.pairs[i]) else {
        throw TrainingError(description: "\(corpus.directory.path)/pairs.jsonl: pair \(corpus.pairs[i].id) has no image file, and the model's image tower reads pixels")
      }
      return url
    }
    return try decode(urls, size: spec.inputSize, progress: progress)
  }

  /// Decodes image files on all threads; the first unreadable one stops with its name.
  public static func decode(_ urls: [URL], size: Int, progress: (Int) -> Void = { _ in }) throws -> ImageInputs {
    let preprocessing = Preprocessing(size: size), bytes = size * size * 3
    var pixels = [UInt8](repeating: 0, count: urls.count * bytes)
    let failures = FailureLog()
    let chunk = 256
    for start in stride(from: 0, to: urls.count, by: chunk) {
      let end = min(start + chunk, urls.count)
      pixels.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!
        Threads.parallelFor(end - start) { j in
          let i = start + j
          do {
            let image = try JPEG.decode(Data(contentsOf: urls[i]))
            let cropped = preprocessing.evaluationPixels(image)
            cropped.withUnsafeBufferPointer { (base + i * bytes).update(from: $0.baseAddress!, count: bytes) }
          } catch {
            failures.record("\(urls[i].path): \(error is JPEGError ? "\(error)" : "cannot read the image: \(error.localizedDescription)")")
          }
        }
      }
      if let first = failures.first { throw TrainingError(description: first) }
      progress(end)
    }
    return ImageInputs(source: .pixels(preprocessing, pixels), count: urls.count)
  }

  /// The network input for the items at `rows`: [b, 3, s, s] normalised pixels (mirrored where
  /// `flips` says) or [b, D] feature rows.
  public func batch(_ rows: [Int], flips: [Bool]? = nil) -> Tensor {
    switch source {
    case .features(let f):
      return Tensor(shape: [rows.count, f.columns], values: rows.flatMap { f.row($0) })
    case .cached(let t):
      let itemShape = Array(t.shape.dropFirst())
      return t.reshaped([t.shape[0], t.itemCount]).rows(rows).reshaped([rows.count] + itemShape)
    case .pixels(let p, let pixels):
      let s = p.size, bytes = s * s * 3
      let out = Tensor(zeros: [rows.count, 3, s, s])
      let data = out.data
      pixels.withUnsafeBufferPointer { all in
        let base = all.baseAddress!
        Threads.parallelFor(rows.count) { i in
          p.normalise(pixels: base + rows[i] * bytes, flip: flips?[i] ?? false, into: data + i * 3 * s * s)
        }
      }
      return out
    }
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
    var out: Tensor?
    for start in stride(from: 0, to: count, by: batchSize) {
      let rows = Array(start..<min(start + batchSize, count))
      let y = frozen.forward(batch(rows))
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
