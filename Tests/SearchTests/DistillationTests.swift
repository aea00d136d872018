// Tests of distillation end to end: a small query model distilled against a gallery model on a
// generated feature corpus retrieves from the gallery model's codes almost as well as the gallery
// model itself; its file keeps the gallery record; search and eval accept it for the gallery
// model's indexes and refuse it for another model's, naming both.

import Corpus
import Distill
import Foundation
import Hashing
import Model
import Search
import Tensor
import Training
import XCTest

final class DistillationTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-distill-tests-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func teacher(_ corpus: Corpus, seed: UInt64) throws -> CrossModalModel {
    let spec = try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 32, imageHidden: [512, 512], textHidden: [512, 512])
    var settings = TrainingDefaults.settings(for: spec, epochs: 20)
    settings.seed = seed
    let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    XCTAssertTrue(run.loop.run(epochs: settings.epochs))
    return run.finishedModel()
  }

  func maps(query: CrossModalModel, gallery: CrossModalModel, _ corpus: Corpus) throws -> [Double] {
    let q = try CrossModalEvaluation.codes(query, corpus: corpus, pairs: corpus.splits!.query)
    let r = try CrossModalEvaluation.codes(gallery, corpus: corpus, pairs: corpus.splits!.retrieval)
    return CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i]).map(\.1.map)
  }

  func testASmallQueryModelSearchesTheGalleryModelsCodes() throws {
    let corpus = try FeatureCorpus.generate(into: Self.folder.appendingPathComponent("mir"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 800, seed: 2))
    let big = try teacher(corpus, seed: 1)
    let bigURL = Self.folder.appendingPathComponent("big.cmh")
    try big.save(to: bigURL)
    var settings = DistillationSettings.defaults(for: big.spec.student())
    settings.epochs = 20
    let run = try DistillationRun(gallery: big, galleryPath: bigURL.path, corpus: corpus, spec: big.spec.student(), settings: settings)
    XCTAssertEqual(run.distiller.gallery.count, 2 * corpus.splits!.train.count)
    XCTAssertTrue(run.loop.run(epochs: settings.epochs))
    let small = run.finishedModel()
    XCTAssertEqual(small.spec.imageHidden, [256])
    XCTAssertLessThan(small.parameterCount, big.parameterCount / 2)

    let bigMaps = try maps(query: big, gallery: big, corpus), smallMaps = try maps(query: small, gallery: big, corpus)
    var g = RandomGenerator(seed: 5)
    let untrained = try maps(query: CrossModalModel(spec: small.spec, generator: &g), gallery: big, corpus)
    print("MAP i→t, t→i: big→big \(bigMaps), small→big \(smallMaps), untrained small→big \(untrained)")
    for d in 0..<2 {
      XCTAssertGreaterThan(smallMaps[d], 0.9 * bigMaps[d])
      XCTAssertGreaterThan(smallMaps[d], untrained[d] + 0.05)
    }

    // The file keeps the gallery record; eval's check accepts the gallery model and refuses another.
    let smallURL = Self.folder.appendingPathComponent("small.cmh")
    try small.save(to: smallURL)
    let loaded = try CrossModalModel.load(from: smallURL)
    XCTAssertEqual(loaded.distillation?.fingerprint, big.fingerprint())
    XCTAssertEqual(loaded.distillation?.galleryModel, bigURL.path)
    try QueryModels.check(loaded, path: smallURL.path, gallery: bigURL.path, fingerprint: big.fingerprint(), bits: 32)
    try QueryModels.check(big, path: bigURL.path, gallery: bigURL.path, fingerprint: big.fingerprint(), bits: 32)
    let other = try teacher(corpus, seed: 2)
    XCTAssertThrowsError(try QueryModels.check(loaded, path: smallURL.path, gallery: "other.cmh", fingerprint: other.fingerprint(), bits: 32)) {
      XCTAssertTrue("\($0)".contains(bigURL.path) && "\($0)".contains("other.cmh"), "\($0)")
    }

    // Search: the gallery model's index is accepted, another model's refused with both named.
    let encoder = try QueryEncoder(modelAt: smallURL.path)
    let retrieval = corpus.splits!.retrieval
    let codes = try CrossModalEvaluation.codes(big, corpus: corpus, pairs: retrieval)
    for (model, name) in [(big, "gallery"), (other, "other")] {
      let url = Self.folder.appendingPathComponent("\(name).cmhindex")
      try IndexFile.write(codes: codes.text, modality: .text, items: IndexItems.of(corpus, retrieval, modality: .text), modelFingerprint: model.fingerprint(), to: url)
      let index = try IndexFile(contentsOf: url)
      if name == "gallery" { try encoder.check(index, modality: .text) } else {
        XCTAssertThrowsError(try encoder.check(index, modality: .text)) {
          XCTAssertTrue("\($0)".contains(bigURL.path) && "\($0)".contains(IndexFile.hex(other.fingerprint())), "\($0)")
        }
        try encoder.check(index, modality: .text, force: true)
      }
    }
  }
}
