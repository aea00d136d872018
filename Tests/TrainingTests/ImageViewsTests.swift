// Tests of the image views a model averages when it encodes (ModelSpec.imageViews): the outputs
// are the mean over the views, the views form a group (so an image and each of its placements in
// it get the same outputs), model files record them and refuse a count they cannot have, and a
// training run gives a pixel model the placements its training drew.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import Training
import XCTest
@testable import ImageNet

final class ImageViewsTests: XCTestCase {
  /// The pixel (row, column) each output pixel of an n × n image comes from under `o`.
  private func sourceMap(_ o: Orientation, n: Int = 4) -> [Int] {
    (0..<n * n).map { let (y, x) = o.source($0 / n, $0 % n, n); return y * n + x }
  }

  /// `first` applied to an image, then `second`, as one placement.
  private func composed(_ first: Orientation, then second: Orientation) -> [Int] {
    let a = sourceMap(first), b = sourceMap(second)
    return b.map { a[$0] }
  }

  func testViewsAreWholeGroupsOfPlacements() {
    XCTAssertEqual(Orientation.views(1), [.upright])
    XCTAssertEqual(Orientation.views(2), [.upright, Orientation(mirrored: true, quarterTurns: 0)])
    for count in [2, 8] {
      let views = Orientation.views(count), maps = Set(views.map { sourceMap($0) })
      XCTAssertEqual(maps.count, count, "\(count) distinct placements")
      for placed in views {
        XCTAssertEqual(Set(views.map { composed(placed, then: $0) }), maps,
                       "the views of a placed image are the views of the image (\(placed), \(count) views)")
      }
    }
  }

  func testImageOutputsAreTheMeanOverTheViews() throws {
    let corpus = try TrainingTests.corpus(pairs: 60)
    var spec = try TrainingTests.smallSpec(corpus)
    var g = RandomGenerator(seed: 4)
    let rows = [0, 1, 2, 3, 4]
    for count in [1, 2, 8] {
      spec.imageViews = count
      let model = CrossModalModel(spec: spec, generator: &g)
      model.setTraining(false)
      let inputs = try ImageInputs.load(corpus, pairs: rows, spec: spec)
      var expected = [Float](repeating: 0, count: rows.count * spec.bits)
      for view in Orientation.views(count) {
        let y = model.image.infer(inputs.batch(Array(rows.indices), orientations: Array(repeating: view, count: rows.count))).scalars
        for i in expected.indices { expected[i] += y[i] / Float(count) }
      }
      let outputs = model.imageOutputs(inputs, batchSize: 2).scalars
      for (a, b) in zip(outputs, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(count) views") }
    }
    spec.imageViews = 8
    let model = CrossModalModel(spec: spec, generator: &g)
    let inputs = try ImageInputs.load(corpus, pairs: rows, spec: spec)
    XCTAssertNotEqual(model.imageOutputs(inputs).scalars, model.image.infer(inputs.batch(Array(rows.indices))).scalars,
                      "the views change the outputs of an untrained tower")
  }

  func testModelFilesRecordTheirViews() throws {
    let corpus = try TrainingTests.corpus(pairs: 60)
    var spec = try TrainingTests.smallSpec(corpus)
    XCTAssertNil(spec.imageViews, "a spec names no views until its training settings give them")
    var g = RandomGenerator(seed: 1)
    let url = TrainingTests.folder.appendingPathComponent("views.cmh")
    let old = CrossModalModel(spec: spec, generator: &g)
    try old.save(to: url)
    let loadedOld = try CrossModalModel.load(from: url)
    XCTAssertNil(loadedOld.spec.imageViews)
    let inputs = try ImageInputs.load(corpus, pairs: [0, 1, 2], spec: spec)
    XCTAssertEqual(loadedOld.imageOutputs(inputs).scalars, loadedOld.image.infer(inputs.batch([0, 1, 2])).scalars,
                   "a model file written before views encodes each image as given")
    spec.imageViews = 2
    try CrossModalModel(spec: spec, generator: &g).save(to: url)
    XCTAssertEqual(try CrossModalModel.load(from: url).spec.imageViews, 2)
    try TrainingTests.rewrite(url, #""image_views":2"#, with: #""image_views":5"#)
    XCTAssertThrowsError(try CrossModalModel.load(from: url)) { XCTAssertTrue("\($0)".contains("views.cmh") && "\($0)".contains("image_views is 5"), "\($0)") }
  }

  func testTrainingGivesPixelModelsThePlacementsItDrew() throws {
    XCTAssertEqual(TrainingDefaults.imageViews(flip: true, turn: true), 8)
    XCTAssertEqual(TrainingDefaults.imageViews(flip: true, turn: false), 2, "photos: mirrored only")
    XCTAssertEqual(TrainingDefaults.imageViews(flip: false, turn: false), 1)
    let corpus = try TrainingTests.corpus(pairs: 60)
    var settings = TrainingTests.settings(epochs: 1)
    settings.turnImages = true
    XCTAssertEqual(try TrainingRun(corpus: corpus, spec: try TrainingTests.smallSpec(corpus), settings: settings).model.spec.imageViews, 8)
    var spec = try TrainingTests.smallSpec(corpus)
    spec.imageViews = 1
    XCTAssertEqual(try TrainingRun(corpus: corpus, spec: spec, settings: settings).model.spec.imageViews, 1, "what the user sets stands")
    var rows = try TrainingTests.smallSpec(corpus)
    rows.architecture = .mlp
    XCTAssertNil(TrainingDefaults.withImageViews(rows, settings).imageViews, "feature rows have no views")
  }
}
