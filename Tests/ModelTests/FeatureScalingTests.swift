// Tests of the input scaling: statistics of the training rows, bag-of-words rows left alone, the
// scaling stored in the model file and applied where the model encodes, and old files without it.

import Corpus
import Foundation
import Model
import Tensor
import Training
import XCTest

final class FeatureScalingTests: XCTestCase {
  func testStandardisesColumnsWithTheTrainingStatistics() {
    let rows = FeatureMatrix(rows: 4, columns: 3, values: [1, 10, 5, 3, 10, 5, 5, 10, 5, 7, 10, 9])
    let scaling = FeatureScaling.fit(rows)
    XCTAssertEqual(scaling.mean, [4, 10, 6])
    XCTAssertEqual(scaling.scale[0], 1 / Float(5).squareRoot(), accuracy: 1e-6)
    XCTAssertEqual(scaling.scale[1], 1, "a constant column is centred, not divided by zero")
    let scaled = scaling.apply(rows)
    for c in 0..<3 {
      let column = (0..<4).map { scaled.values[$0 * 3 + c] }
      XCTAssertEqual(column.reduce(0, +) / 4, 0, accuracy: 1e-6)
      if c != 1 { XCTAssertEqual(column.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-5) }
    }
  }

  func testBagOfWordsRowsKeepTheirValues() {
    let tags = FeatureMatrix(rows: 2, columns: 4, values: [1, 0, 0, 0, 0, 2, 0, 0])
    XCTAssertTrue(FeatureScaling.isBagOfWords(tags))
    XCTAssertNil(FeatureScaling.forTraining(tags))
    let topics = FeatureMatrix(rows: 2, columns: 2, values: [0.25, 0.75, 0.5, 0.5])
    XCTAssertFalse(FeatureScaling.isBagOfWords(topics))
    XCTAssertFalse(FeatureScaling.isBagOfWords(FeatureMatrix(rows: 1, columns: 2, values: [3, 4])), "dense counts are features")
    XCTAssertNotNil(FeatureScaling.forTraining(topics))
  }

  /// A feature corpus: the spec holds the training split's statistics, the model file keeps them,
  /// and the inputs that encode are scaled by them.
  func testScalingIsStoredAndAppliedWhereTheModelEncodes() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-scaling-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let corpus = try FeatureCorpus.generate(into: folder.appendingPathComponent("wiki"), settings: FeatureCorpusSettings(kind: .wikipedia, pairs: 200))
    let train = corpus.splits!.train
    let spec = try ModelSpec.make(for: corpus, training: train, bits: 16, imageHidden: [16], textHidden: [16])
    XCTAssertEqual(spec.imageScaling, FeatureScaling.fit(corpus.imageFeatures!.subset(train)))
    XCTAssertEqual(spec.textScaling, FeatureScaling.fit(corpus.textFeatures!.subset(train)), "topic rows are dense")
    var g = RandomGenerator(seed: 1)
    let model = CrossModalModel(spec: spec, generator: &g)
    let url = folder.appendingPathComponent("m.cmh")
    try model.save(to: url)
    let loaded = try CrossModalModel.load(from: url)
    XCTAssertEqual(loaded.spec.imageScaling, spec.imageScaling)
    let texts = try TextInputs.load(corpus, pairs: train, spec: loaded.spec)
    let column0 = texts.rows.dense().scalars.enumerated().filter { $0.offset % 10 == 0 }.map(\.element)
    XCTAssertEqual(column0.reduce(0, +) / Float(column0.count), 0, accuracy: 1e-4)

    // A model file written before scaling existed: no scaling, rows as they are.
    var old = spec
    old.imageScaling = nil; old.textScaling = nil
    var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as! [String: Any]
    json.removeValue(forKey: "image_scaling"); json.removeValue(forKey: "text_scaling")
    let decoded = try JSONDecoder().decode(ModelSpec.self, from: JSONSerialization.data(withJSONObject: json))
    XCTAssertEqual(decoded, old)
    let raw = try TextInputs.load(corpus, pairs: train, spec: decoded)
    XCTAssertEqual(raw.rows.dense().scalars, corpus.textFeatures!.subset(train).values)
  }
}
