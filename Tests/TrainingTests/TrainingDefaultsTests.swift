// Tests of the defaults for each input kind and of the collapse guard: a generated Wikipedia-like
// corpus (on which the defaults of earlier versions collapsed the text codes to 1-8 patterns)
// trains with the defaults into codes that retrieve far above chance.

import CauchyLoss
import Corpus
import Foundation
import Hashing
import Model
import Tensor
import Training
import XCTest
@testable import Training

final class TrainingDefaultsTests: XCTestCase {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-defaults-\(getpid())")
  override func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func testDefaultsFollowTheInputKinds() throws {
    let wiki = try FeatureCorpus.generate(into: folder.appendingPathComponent("w"), settings: FeatureCorpusSettings(kind: .wikipedia, pairs: 100))
    let spec = try ModelSpec.make(for: wiki, training: wiki.splits!.train, bits: 16)
    XCTAssertEqual(spec.imageHidden, [1024, 1024])
    XCTAssertEqual(spec.textHidden, [1024, 1024], "topic rows are dense feature rows")
    let settings = TrainingDefaults.settings(for: spec, textLearningRate: 1e-5)
    XCTAssertEqual([settings.imageLearningRate, settings.textLearningRate], [3e-4, 1e-5], "what the user sets stands")
    XCTAssertEqual(settings.epochs, 60)
    XCTAssertEqual(settings.similarity, .jaccard, "the Cauchy loss learns graded similarity")
    var dcmh = TrainingSettings()
    dcmh.loss = .dcmh
    XCTAssertEqual(TrainingDefaults.settings(for: spec, base: dcmh).similarity, .any)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, similarity: .cosine).similarity, .cosine)
    let flickr = try FeatureCorpus.generate(into: folder.appendingPathComponent("f"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 100))
    let tags = try ModelSpec.make(for: flickr, training: flickr.splits!.train, bits: 16)
    XCTAssertNil(tags.textScaling, "tag rows are a bag of words")
    XCTAssertEqual(TrainingDefaults.textKind(tags), .bagOfWords)
    XCTAssertEqual(tags.textHidden, [1024, 1024])
    XCTAssertEqual(TrainingDefaults.settings(for: tags).textLearningRate, 3e-4, "tags beside a feature tower: the narrow tower's rate")
    XCTAssertEqual(TrainingDefaults.textHidden(imageKind: .pixels, textKind: .bagOfWords), [4096, 4096])
    XCTAssertEqual(TrainingDefaults.textLearningRate(imageKind: .pixels, textKind: .bagOfWords), 1e-4, "the wide tower beside pixels")
    XCTAssertEqual(TrainingDefaults.settings(for: tags, multiLabel: true).labelEpochs, 0, "feature rows: no label epochs")
    XCTAssertFalse(TrainingDefaults.settings(for: tags, upright: false).turnImages, "feature rows are not turned")
  }

  /// Quarter turns for image files without an upright (the shapes corpus says so), not for photos,
  /// and what the user sets stands; model files written before turns read as not turned.
  func testQuarterTurnsForImagesWithoutAnUpright() throws {
    let shapes = try ShapesCorpus.generate(into: folder.appendingPathComponent("t"), settings: ShapesCorpusSettings(pairs: 20, size: 16, seed: 1))
    XCTAssertFalse(shapes.info.upright)
    XCTAssertFalse(try Corpus.load(shapes.directory).info.upright, "corpus.json keeps the orientation")
    let spec = try ModelSpec.make(for: shapes, training: Array(shapes.pairs.indices), bits: 16, inputSize: 16)
    XCTAssertTrue(TrainingDefaults.settings(for: spec, upright: false).turnImages)
    XCTAssertFalse(TrainingDefaults.settings(for: spec, upright: true).turnImages, "photos: mirrored only")
    XCTAssertFalse(TrainingDefaults.settings(for: spec, turnImages: false, upright: false).turnImages)
    var turned = TrainingSettings()
    turned.turnImages = true
    var fields = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(turned)) as! [String: Any]
    XCTAssertEqual(fields.removeValue(forKey: "turn_images") as? Bool, true)
    XCTAssertFalse(try JSONDecoder().decode(TrainingSettings.self, from: try JSONSerialization.data(withJSONObject: fields)).turnImages)
    let info = try JSONDecoder().decode(CorpusInfo.self, from: Data(#"{"name":"p","labels":["a"],"source":"","text_mode":"tags","format":1}"#.utf8))
    XCTAssertTrue(info.upright, "a corpus.json without an orientation: photos")
  }

  /// Label epochs: twice the hashing epochs for a pixel tower from scratch on a multi-label
  /// corpus, none on single-label corpora or pretrained towers, and what the user sets stands.
  func testLabelEpochsForMultiLabelPixelCorpora() throws {
    let shapes = try ShapesCorpus.generate(into: folder.appendingPathComponent("s"), settings: ShapesCorpusSettings(pairs: 40, size: 16, seed: 1))
    XCTAssertTrue(shapes.isMultiLabel)
    var single = shapes
    single.pairs = shapes.pairs.map { var p = $0; p.labels = Array(p.labels.prefix(1)); return p }
    XCTAssertFalse(single.isMultiLabel)
    let spec = try ModelSpec.make(for: shapes, training: Array(shapes.pairs.indices), bits: 16, inputSize: 16)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, multiLabel: true).labelEpochs, 60)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, multiLabel: true).labelWeight, 1, "the label term comes with label epochs")
    XCTAssertEqual(TrainingDefaults.settings(for: spec, labelWeight: 0.5, multiLabel: true).labelWeight, 0.5)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, multiLabel: false).labelWeight, 0)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, epochs: 12, multiLabel: true).labelEpochs, 24)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, multiLabel: false).labelEpochs, 0)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, labelEpochs: 5, multiLabel: false).labelEpochs, 5)
    var pretrained = TrainingSettings()
    pretrained.pretrained = "/weights.safetensors"
    XCTAssertEqual(TrainingDefaults.settings(for: spec, base: pretrained, multiLabel: true).labelEpochs, 0)
    var frozen = TrainingSettings()
    frozen.trainLayers = .head
    XCTAssertEqual(TrainingDefaults.settings(for: spec, base: frozen, multiLabel: true).labelEpochs, 0)
    XCTAssertEqual(TrainingDefaults.settings(for: spec, multiLabel: true).totalEpochs, 90)
  }

  func testWikipediaLikeCorpusTrainsWithoutCollapse() throws {
    let corpus = try FeatureCorpus.generate(into: folder.appendingPathComponent("wiki"), settings: FeatureCorpusSettings(kind: .wikipedia, pairs: 900, seed: 2))
    let spec = try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 32)
    let settings = TrainingDefaults.settings(for: spec, epochs: 20)
    let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    var last: Trainer.EpochReport?
    XCTAssertTrue(run.loop.run(epochs: settings.epochs, onEpoch: { last = $0 }))
    let report = try XCTUnwrap(last)
    XCTAssertGreaterThanOrEqual(min(report.distinctImageCodes, report.distinctTextCodes), report.collapseFloor)
    XCTAssertFalse(report.collapseUnresolved)
    let q = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: corpus.splits!.query)
    let r = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: corpus.splits!.retrieval)
    for (direction, result) in CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i]) {
      print("\(direction.title): MAP \(result.map), chance \(result.mapChance)")
      XCTAssertGreaterThan(result.map, result.mapChance + 0.15, direction.title)
    }
  }

  /// A tower that collapses is put back to its last healthy weights, first with the bit balance
  /// switched on, then at half the rate, three times at most; a healthy epoch moves the snapshot
  /// forward.
  func testGuardRestoresTheLastHealthyWeights() {
    var g = RandomGenerator(seed: 1)
    let tower = Linear(3, 2, generator: &g)
    let optimizer = RMSprop(groups: [ParameterGroup(tower.namedParameters(), learningRate: 1e-3)])
    let guardian = CollapseGuard(labelSets: 10, towers: [tower, tower])
    XCTAssertEqual(guardian.floor, 5)
    tower.weight.value.data[0] = 7
    XCTAssertNil(guardian.check(0, tower: tower, codes: 40, optimizer: optimizer), "healthy: the snapshot takes these weights")
    tower.weight.value.data[0] = 99
    XCTAssertEqual(guardian.check(0, tower: tower, codes: 1, optimizer: optimizer), .balanced(codes: 1, eta: 0.03))
    XCTAssertEqual(tower.weight.value.data[0], 7)
    XCTAssertEqual(guardian.check(0, tower: tower, codes: 1, optimizer: optimizer), .slowed(codes: 1, rateScale: 0.5))
    _ = guardian.check(0, tower: tower, codes: 1, optimizer: optimizer)
    XCTAssertEqual(guardian.rateScale[0], 0.25)
    XCTAssertEqual(guardian.check(0, tower: tower, codes: 1, optimizer: optimizer), .collapsed(codes: 1))
    XCTAssertEqual(guardian.rateScale[1], 1, "the other tower is untouched")
    XCTAssertEqual(guardian.balance, [0.03, 0])
  }
}
