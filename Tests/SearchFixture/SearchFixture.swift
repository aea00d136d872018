// SearchFixture: a small generated corpus, a model with random weights (searches need a model, not
// a good one) and its image and text indexes, made once per test process.

import Corpus
import Foundation
import Hashing
import Model
import Search
import Tensor
import Training

public enum SearchFixture {
  public struct Files: Sendable {
    public let folder: URL
    public let corpus: Corpus
    public let model: String
    public let indexFolder: String
  }

  nonisolated(unsafe) private static var made: Files?
  private static let lock = NSLock()

  public static func files() throws -> Files {
    lock.lock()
    defer { lock.unlock() }
    if let made { return made }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-search-fixture-\(getpid())")
    try? FileManager.default.removeItem(at: folder)
    var corpus = try ShapesCorpus.generate(into: folder.appendingPathComponent("corpus"), settings: ShapesCorpusSettings(pairs: 80, size: 32, seed: 5))
    corpus.splits = try Splits.protocolSplit(corpus.pairs, queries: 10, train: 40, seed: 5)
    try corpus.write(to: corpus.directory)
    let spec = try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 16, architecture: .compact10, inputSize: 32, width: 8,
                                  imageHidden: [32], textHidden: [32])
    var g = RandomGenerator(seed: 5)
    let model = CrossModalModel(spec: spec, generator: &g)
    let modelURL = folder.appendingPathComponent("model.cmh")
    try model.save(to: modelURL)
    let retrieval = corpus.splits!.retrieval
    let codes = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: retrieval)
    let index = folder.appendingPathComponent("index")
    try FileManager.default.createDirectory(at: index, withIntermediateDirectories: true)
    for (modality, c) in [(Modality.image, codes.image), (.text, codes.text)] {
      try IndexFile.write(codes: c, modality: modality, items: IndexItems.of(corpus, retrieval, modality: modality), outputs: codes.stored(modality),
                          modelFingerprint: model.fingerprint(), to: index.appendingPathComponent("\(modality).cmhindex"))
    }
    made = Files(folder: folder, corpus: corpus, model: modelURL.path, indexFolder: index.path)
    return made!
  }
}
