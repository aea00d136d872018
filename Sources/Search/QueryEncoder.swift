// QueryEncoder: a trained model opened for queries — free text and images to codes, one caller
// at a time (the towers keep working buffers), with the checks that tell a user why a query or an
// index does not fit the model.

import Corpus
import Foundation
import Hashing
import Model
import Tensor

public final class QueryEncoder: @unchecked Sendable {
  public let model: CrossModalModel
  public let path: String
  public let fingerprint: UInt64
  /// The fingerprint of the model whose indexes this one searches: its own, or for a small query
  /// model from `cmh distill` its gallery model's.
  public let galleryFingerprint: UInt64
  private let lock = NSLock()

  public init(modelAt path: String) throws {
    model = try CrossModalModel.load(from: URL(fileURLWithPath: path), fixed: true)
    self.path = path
    fingerprint = model.fingerprint()
    galleryFingerprint = model.distillation?.fingerprint ?? fingerprint
  }

  public var bits: Int { model.spec.bits }
  /// Whether the text tower reads words (not a corpus's feature rows), so free text can be a query.
  public var readsFreeText: Bool { model.spec.text.vocabulary != nil }
  /// Whether the image tower reads image files (not feature rows).
  public var readsImageFiles: Bool { model.spec.architecture != .mlp }

  /// A text query as its code and output, with the words the model knew and those it ignored.
  public struct EncodedText: Sendable {
    public let query: EncodedQuery
    public let words: [String]
    public let ignored: [String]
    public var codes: BinaryCodes { query.codes }
  }

  /// Encodes several texts in one pass of the text tower (a server's waiting queries share the
  /// weights' trip through memory); a text the model cannot read gets its error.
  public func encode(texts: [String]) -> [Result<EncodedText, SearchError>] {
    guard let vocabulary = model.spec.text.vocabulary else {
      let error = SearchError(.unsupported, "\(path): the text tower reads the corpus's feature rows and has no vocabulary, so it cannot read free text")
      return texts.map { _ in .failure(error) }
    }
    let tokenizer = vocabulary.tokenizer
    var checked = [Result<([String], [String]), SearchError>]()
    var readable = [[String]]()
    for text in texts {
      let tokens = tokenizer.tokens(text)
      let known = tokens.filter { vocabulary.index(of: $0) != nil }, unknown = tokens.filter { vocabulary.index(of: $0) == nil }
      if known.isEmpty {
        let examples = vocabulary.words.prefix(12).joined(separator: ", ")
        checked.append(.failure(SearchError(.badQuery, tokens.isEmpty ? "the query has no words"
          : "none of the words of \"\(text)\" is in the model's \(vocabulary.count)-word vocabulary (it knows, for example: \(examples))")))
      } else {
        checked.append(.success((known, unknown)))
        readable.append(tokens)
      }
    }
    let encoded: [EncodedQuery] = readable.isEmpty ? [] : locked {
      model.queryOutputs(tokenized: readable).map { EncodedQuery.split($0, bits: bits) } ?? []
    }
    var next = 0
    return checked.map { check in
      check.map { known, unknown in
        defer { next += 1 }
        return EncodedText(query: encoded[next], words: Self.distinct(known), ignored: Self.distinct(unknown))
      }
    }
  }

  public func encode(text: String) throws -> EncodedText { try encode(texts: [text])[0].get() }

  /// Images already decoded, as queries (one each).
  public func encode(images: [RGBImage]) throws -> [EncodedQuery] {
    guard readsImageFiles else { throw SearchError(.unsupported, "\(path): the image tower reads feature rows, not image files") }
    let inputs = ImageInputs.images(images, size: model.spec.inputSize)
    return EncodedQuery.split(locked { model.imageOutputs(inputs) }, bits: bits)
  }

  /// An image file's bytes (JPEG, PNG or WebP) as one query; `name` says where they came from.
  public func encode(imageData data: Data, name: String) throws -> EncodedQuery {
    let image: RGBImage
    do { image = try ImageFile.decode(data) } catch { throw SearchError(.badQuery, "\(name): \(error)") }
    return try encode(images: [image])[0]
  }

  public func encode(imageFile url: URL) throws -> EncodedQuery {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw SearchError(.badQuery, "\(url.path): cannot read the query image: \(error.localizedDescription)") }
    return try encode(imageData: data, name: url.path)
  }

  /// The index file at `url`, whole (its checksum checked) and holding this model's codes of `modality`.
  public func openIndex(_ url: URL, modality: Modality, force: Bool = false) throws -> IndexFile {
    let index = try IndexFile.verified(url)
    try check(index, modality: modality, force: force)
    return index
  }

  /// Throws unless `index` holds this model's codes of `modality` (a fingerprint mismatch passes with `force`).
  public func check(_ index: IndexFile, modality: Modality? = nil, force: Bool = false) throws {
    if let modality, index.modality != modality {
      throw SearchError(.unsupported, "\(index.path): a \(index.modality) index; this search needs the \(modality) index (\(modality).cmhindex from `cmh encode`)")
    }
    guard index.bits == bits else {
      throw SearchError(.unsupported, "\(index.path): \(index.bits)-bit codes, the model makes \(bits)-bit codes; encode the corpus with this model")
    }
    // A small query model searches the indexes of the gallery model it was distilled against.
    if !force { try index.checkModel(galleryFingerprint, modelPath: model.distillation?.galleryModel ?? path, queryModel: model.distillation.map { _ in path }) }
  }

  private func locked<T>(_ body: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }

  private static func distinct(_ words: [String]) -> [String] {
    var seen = Set<String>()
    return words.filter { seen.insert($0).inserted }
  }
}
