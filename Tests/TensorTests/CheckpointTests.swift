// Tests of checkpoints: round trip, bit-identical resume, and rejection of wrong files.

import Foundation
import Tensor
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-checkpoint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  /// The toy network with a dropout layer, so that module randomness is part of the state.
  func network(seed: UInt64) -> Sequential {
    var g = RandomGenerator(seed: seed)
    return Sequential(named: [("features", ToyTask.network(generator: &g)), ("dropout", Dropout(probability: 0.2, seed: seed))])
  }

  /// Trains `steps` mini-batches, shuffling with `shuffle`.
  func train(_ model: Module, _ optimizer: Optimizer, _ data: (images: Tensor, labels: [Int]), steps: Int, shuffle: inout RandomGenerator) {
    for _ in 0..<steps {
      let rows = shuffle.permutation(data.labels.count).prefix(16)
      let logits = model.forward(ToyTask.gather(data.images, rows))
      let (_, gradient) = SoftmaxCrossEntropy.evaluate(logits, labels: rows.map { data.labels[$0] })
      optimizer.zeroGradients()
      _ = model.backward(gradient)
      optimizer.step()
    }
  }

  func testResumeIsBitIdentical() throws {
    var dataGenerator = RandomGenerator(seed: 1)
    let data = ToyTask.generate(count: 64, generator: &dataGenerator)
    // Uninterrupted: 6 steps.
    let straight = network(seed: 2)
    let straightOptimizer = Adam(groups: [ParameterGroup(straight.namedParameters(), learningRate: 1e-2, weightDecay: 1e-4)])
    var shuffle = RandomGenerator(seed: 3)
    train(straight, straightOptimizer, data, steps: 6, shuffle: &shuffle)
    // Interrupted after 3 steps, saved, loaded into a fresh model, 3 more steps.
    let first = network(seed: 2)
    let firstOptimizer = Adam(groups: [ParameterGroup(first.namedParameters(), learningRate: 1e-2, weightDecay: 1e-4)])
    var shuffle2 = RandomGenerator(seed: 3)
    train(first, firstOptimizer, data, steps: 3, shuffle: &shuffle2)
    let file = directory.appendingPathComponent("run.ckpt")
    try Checkpoint.save(to: file, model: first, optimizers: [("model", firstOptimizer)],
                        position: TrainingPosition(epoch: 0, step: 3, generators: ["shuffle": shuffle2]))
    let resumed = network(seed: 99)
    let resumedOptimizer = Adam(groups: [ParameterGroup(resumed.namedParameters(), learningRate: 1e-2, weightDecay: 1e-4)])
    let position = try Checkpoint.load(from: file, into: resumed, optimizers: [("model", resumedOptimizer)]).position
    XCTAssertEqual(position.step, 3)
    var shuffle3 = try XCTUnwrap(position.generator("shuffle"))
    train(resumed, resumedOptimizer, data, steps: 3, shuffle: &shuffle3)
    for ((name, a), (_, b)) in zip(straight.namedParameters(), resumed.namedParameters()) {
      XCTAssertEqual(a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern), "\(name) differs after resume")
    }
    for ((name, a), (_, b)) in zip(straight.namedBuffers(), resumed.namedBuffers()) {
      XCTAssertEqual(a.value.scalars, b.value.scalars, "\(name) differs after resume")
    }
  }

  func testRoundTripRestoresEveryTensor() throws {
    let a = network(seed: 4), b = network(seed: 5)
    let file = directory.appendingPathComponent("a.ckpt")
    try Checkpoint.save(to: file, model: a, optimizers: [], position: TrainingPosition(epoch: 2, step: 10, notes: ["seed": "4"]))
    let position = try Checkpoint.load(from: file, into: b, optimizers: []).position
    XCTAssertEqual(position.epoch, 2)
    XCTAssertEqual(position.notes["seed"], "4")
    for ((_, x), (_, y)) in zip(a.namedParameters(), b.namedParameters()) { XCTAssertEqual(x.value.scalars, y.value.scalars) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: file.path + ".tmp"), "no temporary file is left behind")
  }

  func testWrongFilesAreRejectedWithThePath() throws {
    let model = network(seed: 6)
    let good = directory.appendingPathComponent("good.ckpt")
    try Checkpoint.save(to: good, model: model, optimizers: [], position: TrainingPosition(epoch: 0, step: 0))
    let bytes = try Data(contentsOf: good)

    func expectFailure(_ data: Data, _ name: String, mentioning words: String) throws {
      let file = directory.appendingPathComponent(name)
      try data.write(to: file)
      XCTAssertThrowsError(try Checkpoint.load(from: file, into: model, optimizers: [])) { error in
        let message = "\(error)"
        XCTAssertTrue(message.contains(file.path), "message names the file: \(message)")
        XCTAssertTrue(message.contains(words), "message says '\(words)': \(message)")
      }
    }
    try expectFailure(Data("hello, this is not a checkpoint".utf8), "text.ckpt", mentioning: "not a checkpoint")
    try expectFailure(bytes.prefix(bytes.count - 100), "truncated.ckpt", mentioning: "truncated")
    var future = bytes
    future[8] = 9
    try expectFailure(future, "future.ckpt", mentioning: "version 9")
    // A checkpoint of another architecture: a parameter is missing.
    let other = directory.appendingPathComponent("other.ckpt")
    var g = RandomGenerator(seed: 1)
    try Checkpoint.save(to: other, model: Linear(2, 2, generator: &g), optimizers: [], position: TrainingPosition(epoch: 0, step: 0))
    XCTAssertThrowsError(try Checkpoint.load(from: other, into: model, optimizers: [])) { error in
      XCTAssertTrue("\(error)".contains("is missing"), "\(error)")
    }
  }

  func testAFlippedByteAnywhereFailsTheChecksum() throws {
    let model = network(seed: 7)
    let good = directory.appendingPathComponent("crc.ckpt")
    try Checkpoint.save(to: good, model: model, optimizers: [], position: TrainingPosition(epoch: 1, step: 0))
    let bytes = try Data(contentsOf: good)
    // The header's lengths, the metadata, the tensor table, the tensors, the checksum itself.
    for at in [12, 25, bytes.count / 3, bytes.count / 2, bytes.count - 5, bytes.count - 1] {
      var damaged = bytes
      damaged[at] ^= 0x10
      let file = directory.appendingPathComponent("flipped.ckpt")
      try damaged.write(to: file)
      XCTAssertThrowsError(try Checkpoint.load(from: file, into: model, optimizers: []), "byte \(at)") {
        XCTAssertTrue("\($0)".contains("the checksum does not match") && "\($0)".contains(file.path), "\($0)")
      }
    }
  }

  func testVersionOneFilesWithoutAChecksumAreStillRead() throws {
    let a = network(seed: 8), b = network(seed: 9)
    let file = directory.appendingPathComponent("v1.ckpt")
    try Checkpoint.save(to: file, model: a, optimizers: [], position: TrainingPosition(epoch: 3, step: 0))
    var bytes = try Data(contentsOf: file)
    bytes.removeLast(4)  // version 1: the same layout without the CRC-32 trailer
    bytes[8] = 1
    try bytes.write(to: file)
    XCTAssertEqual(try Checkpoint.load(from: file, into: b, optimizers: []).position.epoch, 3)
    for ((_, x), (_, y)) in zip(a.namedParameters(), b.namedParameters()) { XCTAssertEqual(x.value.scalars, y.value.scalars) }
  }
}
