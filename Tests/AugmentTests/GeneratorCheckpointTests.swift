// Tests of the generator's checkpoints: a training stopped after some iterations and resumed
// ends with exactly the weights of one that ran through, a checkpoint of another training (other
// rows) is refused by name, and a finished one renders with other sampling settings untrained.

import Augment
import Foundation
import Tensor
import XCTest

final class GeneratorCheckpointTests: XCTestCase {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-generator-ckpt-\(getpid())")
  override func setUp() { try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
  override func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func data(_ seed: UInt64) -> (Tensor, Tensor) {
    var g = RandomGenerator(seed: seed)
    let rows = g.normal([40, 6]), labels = Tensor(zeros: [40, 3])
    for i in 0..<40 { labels.data[3 * i + i % 3] = 1 }
    return (rows, labels)
  }

  func model() -> DiffusionGenerator {
    var s = DiffusionSettings()
    s.iterations = 12; s.batchSize = 16; s.averageDecay = 0.9
    return DiffusionGenerator(shape: DenoiserShape(dimensions: 6, labels: 3, hidden: 16, blocks: 1), settings: s)
  }

  /// Samples depend on the weights, the averages and the random state: equal samples, equal training.
  func samples(_ m: DiffusionGenerator, _ labels: Tensor) -> [Float] { m.sample(labels: labels).scalars }

  func testAStoppedTrainingResumesToTheSameWeights() throws {
    let (rows, labels) = data(1)
    let through = model()
    try through.fit(rows, labels: labels)
    let url = folder.appendingPathComponent("g.ckpt")
    var calls = 0
    let stopped = model()
    XCTAssertThrowsError(try stopped.fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .no, shouldStop: { calls += 1; return calls == 5 }))) {
      XCTAssertTrue("\($0)".contains("interrupted after iteration 5 of 12; saved \(url.path)"), "\($0)")
    }
    let resumed = model()
    var first: Int?
    try resumed.fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false })) { i, _ in first = first ?? i }
    XCTAssertEqual(first, 6, "the resumed training starts after the saved iteration")
    XCTAssertEqual(samples(resumed, labels), samples(through, labels), "same weights, averages and random draws as a training that ran through")

    let (others, _) = data(2)
    XCTAssertThrowsError(try model().fit(others, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false }))) {
      XCTAssertTrue("\($0)".contains("\(url.path) was saved by another generator training"), "\($0)")
    }
    // A longer training resumes from a shorter one's last checkpoint; a shorter one has nothing left to run.
    let longer = { () -> DiffusionGenerator in
      var s = DiffusionSettings()
      s.iterations = 15; s.batchSize = 16; s.averageDecay = 0.9
      return DiffusionGenerator(shape: DenoiserShape(dimensions: 6, labels: 3, hidden: 16, blocks: 1), settings: s)
    }
    var resumedAt: Int?
    try longer().fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false })) { i, _ in resumedAt = resumedAt ?? i }
    XCTAssertEqual(resumedAt, 13, "the checkpoint of the 12 iterations, then 13 to 15")
    // A checkpoint of more iterations than asked is refused by name, or trained over where asked to.
    XCTAssertThrowsError(try model().fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false }))) {
      XCTAssertTrue("\($0)".contains("holds 15 iterations of this training, more than the 12 asked"), "\($0)")
    }
    let copy = folder.appendingPathComponent("g15.ckpt")
    try FileManager.default.copyItem(at: url, to: copy)
    var over: Int?
    try model().fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: copy, resume: .sameOrStartOver, shouldStop: { false })) { i, _ in over = over ?? i }
    XCTAssertEqual(over, 1, "trained over from the first iteration")
    // Without --resume the checkpoint is written over, from the first iteration.
    var started: Int?
    try model().fit(others, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .no, shouldStop: { false })) { i, _ in started = started ?? i }
    XCTAssertEqual(started, 1)
  }

  func testATrainedGeneratorRendersAgainWithOtherSamplingSettingsWithoutTraining() throws {
    let (rows, labels) = data(3)
    let url = folder.appendingPathComponent("done.ckpt")
    try model().fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .no, shouldStop: { false }))
    XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "the finished training's checkpoint stays")
    // Guidance and sampling steps are sampling's alone: the checkpoint serves, nothing trains, and
    // the samples are those of a generator trained through with the same settings.
    let guided = { () -> DiffusionGenerator in
      var s = DiffusionSettings()
      s.iterations = 12; s.batchSize = 16; s.averageDecay = 0.9; s.guidance = 4; s.samplingSteps = 10
      return DiffusionGenerator(shape: DenoiserShape(dimensions: 6, labels: 3, hidden: 16, blocks: 1), settings: s)
    }
    let through = guided()
    try through.fit(rows, labels: labels)
    let reused = guided()
    var ran = 0
    try reused.fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false })) { _, _ in ran += 1 }
    XCTAssertEqual(ran, 0, "trained to the end before: no iteration runs")
    XCTAssertEqual(samples(reused, labels), samples(through, labels))
    // A setting of the training itself still names another training.
    var other = DiffusionSettings()
    other.iterations = 12; other.batchSize = 8; other.averageDecay = 0.9
    let smallerBatches = DiffusionGenerator(shape: DenoiserShape(dimensions: 6, labels: 3, hidden: 16, blocks: 1), settings: other)
    XCTAssertThrowsError(try smallerBatches.fit(rows, labels: labels, checkpoint: GeneratorCheckpoint(url: url, resume: .same, shouldStop: { false }))) {
      XCTAssertTrue("\($0)".contains("was saved by another generator training"), "\($0)")
    }
  }
}
