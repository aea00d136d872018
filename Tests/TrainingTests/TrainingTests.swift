// Tests of training: the model file, exact resumption from checkpoints (between epochs and in
// the middle of one), and that training on a small generated corpus makes codes that retrieve.

import Augment
import Corpus
import Foundation
import Hashing
import Model
import Platform
import TextNet
@testable import Training
import XCTest
@testable import Tensor

final class TrainingTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-training-tests-\(getpid())")

  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  /// A generated corpus with protocol splits, made once per size.
  static func corpus(pairs: Int, size: Int = 32) throws -> Corpus {
    let directory = folder.appendingPathComponent("shapes-\(pairs)-\(size)")
    if let loaded = try? Corpus.load(directory) { return loaded }
    var corpus = try ShapesCorpus.generate(into: directory, settings: ShapesCorpusSettings(pairs: pairs, size: size, seed: 3))
    try corpus.splitByProtocol(seed: 3)
    try corpus.write(to: directory)
    return corpus
  }

  static func smallSpec(_ corpus: Corpus, bits: Int = 16) throws -> ModelSpec {
    try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: bits, architecture: .compact10, inputSize: 32, width: 8,
                       imageHidden: [32], textHidden: [32, 32])
  }

  /// Replaces `text` in the file at `url` (a model header's field) and mends the file's checksum,
  /// as a file written by another program would be.
  static func rewrite(_ url: URL, _ text: String, with replacement: String) throws {
    var bytes = try Data(contentsOf: url)
    bytes = bytes.replacing(Data(text.utf8), with: Data(replacement.utf8))
    let crc = bytes.withUnsafeBytes { CRC32.of($0.baseAddress!, count: $0.count - 4) }
    withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: $0) }
    try bytes.write(to: url)
  }

  static func settings(epochs: Int) -> TrainingSettings {
    var s = TrainingSettings()
    s.epochs = epochs
    s.batchSize = 16
    return s
  }

  func testModelFileRoundTripsAndRejectsDamage() throws {
    let corpus = try Self.corpus(pairs: 60)
    var g = RandomGenerator(seed: 1)
    let model = CrossModalModel(spec: try Self.smallSpec(corpus), generator: &g)
    model.setTraining(false)
    let url = Self.folder.appendingPathComponent("model.cmh")
    try model.save(to: url)
    let loaded = try CrossModalModel.load(from: url)
    XCTAssertEqual(loaded.spec, model.spec)
    let texts = try TextInputs.load(corpus, pairs: [0, 1, 2], spec: model.spec)
    XCTAssertEqual(loaded.textOutputs(texts).scalars, model.textOutputs(texts).scalars)
    let images = try ImageInputs.load(corpus, pairs: [0, 1, 2], spec: model.spec)
    XCTAssertEqual(loaded.imageOutputs(images).scalars, model.imageOutputs(images).scalars)

    var bytes = try Data(contentsOf: url)
    bytes.removeLast(100)
    let truncated = Self.folder.appendingPathComponent("truncated.cmh")
    try bytes.write(to: truncated)
    XCTAssertThrowsError(try CrossModalModel.load(from: truncated)) { XCTAssertTrue("\($0)".contains("truncated.cmh")) }
  }

  /// With and without the label-prediction term (its head and optimiser are in the checkpoint),
  /// and with a label epoch first (its classifier's head, Adam state and step count are too).
  func testResumingFromCheckpointsRepeatsTheUninterruptedRun() throws {
    for (labelWeight, labelEpochs) in [(Float(0), 0), (1, 0), (0, 1)] {
      try resumingRepeatsTheUninterruptedRun(labelWeight: labelWeight, labelEpochs: labelEpochs)
    }
  }

  func resumingRepeatsTheUninterruptedRun(labelWeight: Float, labelEpochs: Int) throws {
    let corpus = try Self.corpus(pairs: 60)
    let spec = try Self.smallSpec(corpus)
    var settings = Self.settings(epochs: 2)
    settings.labelWeight = labelWeight
    settings.labelEpochs = labelEpochs
    let total = settings.totalEpochs
    let straight = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    straight.loop.run(epochs: total)

    // 30 training pairs in batches of 16: 4 batches an epoch. Stop after 3 batches (in the text
    // phase of epoch 1), save, resume in a new run, stop again after 3 more (in epoch 2), resume.
    let url = Self.folder.appendingPathComponent("run.ckpt")
    let first = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    var batches = 0
    XCTAssertFalse(first.loop.run(epochs: total, shouldStop: { batches == 3 }, onBatch: { _, _, _ in batches += 1 }))
    try first.saveCheckpoint(to: url)
    let second = try TrainingRun(corpus: corpus, resuming: url)
    batches = 0
    XCTAssertFalse(second.loop.run(epochs: total, shouldStop: { batches == 3 }, onBatch: { _, _, _ in batches += 1 }))
    XCTAssertEqual(second.loop.epoch, 1)
    try second.saveCheckpoint(to: url)
    let third = try TrainingRun(corpus: corpus, resuming: url)
    XCTAssertTrue(third.loop.run(epochs: total))

    XCTAssertEqual(third.trainer.B.scalars, straight.trainer.B.scalars)
    XCTAssertEqual(third.trainer.F.scalars, straight.trainer.F.scalars)
    XCTAssertEqual(third.trainer.G.scalars, straight.trainer.G.scalars)
    for ((name, p), (_, q)) in zip(straight.model.namedParameters(), third.model.namedParameters()) {
      XCTAssertEqual(p.value.scalars, q.value.scalars, name)
    }
  }

  /// The Cauchy term scales the other modality's outputs to unit rows once and keeps them while
  /// they do not change; a batch's rows written into them are seen by the next batch's loss, which
  /// is then the loss against a fresh copy of them.
  func testTheLossReadsTheOtherOutputsAsTheyAreNow() throws {
    let corpus = try Self.corpus(pairs: 60)
    let trainer = try TrainingRun(corpus: corpus, spec: try Self.smallSpec(corpus), settings: Self.settings(epochs: 1)).trainer
    let rows = Array(0..<8), k = trainer.F.shape[1]
    var g = RandomGenerator(seed: 5)
    let u = g.uniform([rows.count, k], -1, 1)
    let loss = { (other: Tensor) in trainer.objective(u, rows: rows, part: rows.indices, own: trainer.F, other: other, balance: 0) }
    let before = loss(trainer.G)
    XCTAssertEqual(loss(trainer.G).1.scalars, before.1.scalars)
    trainer.G.setRows([20, 40], g.uniform([2, k], -1, 1))
    let after = loss(trainer.G), fresh = loss(trainer.G.copy())
    XCTAssertNotEqual(after.1.scalars, before.1.scalars)
    XCTAssertEqual(after.1.scalars, fresh.1.scalars)
    XCTAssertEqual(after.0.similarity, fresh.0.similarity)
  }

  /// Distinct sign patterns against a set of the rows' signs, for codes of one word and of more.
  func testDistinctSignsCountsEachPatternOnce() {
    var g = RandomGenerator(seed: 2)
    for k in [16, 64, 70, 128] {
      let m = g.uniform([300, k], -1, 1)
      for i in stride(from: 0, to: 300, by: 3) { (m.data + (i + 1) * k).update(from: m.data + i * k, count: k) }  // repeats
      m.data[5 * k + k - 1] = 0  // zero counts as +
      let brute = Set((0..<300).map { i in (0..<k).map { m.data[i * k + $0] >= 0 } }).count
      XCTAssertEqual(Trainer.distinctSigns(m), brute, "k = \(k)")
      XCTAssertLessThanOrEqual(brute, 200)
    }
  }

  /// Label epochs come first: the image tower learns the labels (the classifier's loss falls), the
  /// text tower and the codes wait, and the hashing epochs follow from the taught tower.
  func testLabelEpochsTeachTheImageTowerFirst() throws {
    let corpus = try Self.corpus(pairs: 60)
    var settings = Self.settings(epochs: 1)
    settings.labelEpochs = 12
    let run = try TrainingRun(corpus: corpus, spec: try Self.smallSpec(corpus), settings: settings)
    let text = run.model.text.namedParameters().map { $0.1.value.scalars }, codes = run.trainer.B.scalars
    var reports = [Trainer.EpochReport]()
    run.loop.run(epochs: 3, onEpoch: { reports.append($0) })
    XCTAssertEqual(run.model.text.namedParameters().map { $0.1.value.scalars }, text, "the text tower rests in label epochs")
    XCTAssertEqual(run.trainer.B.scalars, codes, "B waits for the hashing epochs")
    run.loop.run(epochs: settings.totalEpochs, onEpoch: { reports.append($0) })
    XCTAssertEqual(reports.map(\.labelEpoch), Array(repeating: true, count: 12) + [false])
    XCTAssertLessThan(reports[11].image.labels, reports[0].image.labels * 0.9, "the classifier learns: \(reports.map(\.image.labels))")
    XCTAssertGreaterThan(reports[12].image.similarity, 0)
    XCTAssertNotEqual(run.trainer.B.scalars, codes)
    XCTAssertTrue(reports[0].tableRow(itemsPerSecond: 100).contains("labels"))
  }

  /// Model files written before small stems existed have no stem_stride and get ImageNet's stem;
  /// a stride the tower does not have is refused with the file's name.
  func testStemStrideOfModelFiles() throws {
    let corpus = try Self.corpus(pairs: 60)
    var spec = try Self.smallSpec(corpus)
    XCTAssertEqual(spec.stemStride, 1, "32² inputs get the stride-1 stem")
    spec.stemStride = nil
    var g = RandomGenerator(seed: 1)
    let old = CrossModalModel(spec: spec, generator: &g)
    XCTAssertTrue(old.namedParameters().contains { $0.0 == "image.conv1.weight" && $0.1.value.shape == [8, 3, 7, 7] })
    let url = Self.folder.appendingPathComponent("old-stem.cmh")
    try old.save(to: url)
    XCTAssertNil(try CrossModalModel.load(from: url).spec.stemStride)
    spec.stemStride = 1
    let new = CrossModalModel(spec: spec, generator: &g)
    XCTAssertTrue(new.namedParameters().contains { $0.0 == "image.conv1.weight" && $0.1.value.shape == [8, 3, 3, 3] })
    try new.save(to: url)
    try Self.rewrite(url, #""stem_stride":1"#, with: #""stem_stride":3"#)
    XCTAssertThrowsError(try CrossModalModel.load(from: url)) { XCTAssertTrue("\($0)".contains("old-stem.cmh") && "\($0)".contains("stem_stride"), "\($0)") }
  }

  func testDamagedCheckpointPositionsAndSettingsAreRefused() throws {
    // Once, an out-of-range phase skipped an epoch's text phase silently, and batch size 0 trapped.
    let corpus = try Self.corpus(pairs: 60)
    let run = try TrainingRun(corpus: corpus, spec: try Self.smallSpec(corpus), settings: Self.settings(epochs: 2))
    var batches = 0
    XCTAssertFalse(run.loop.run(epochs: 2, shouldStop: { batches == 5 }, onBatch: { _, _, _ in batches += 1 }))
    let url = Self.folder.appendingPathComponent("damaged.ckpt")
    try run.saveCheckpoint(to: url)
    let good = try Data(contentsOf: url)
    // Same length: the offsets stay valid; the checksum is made to match, as an editor who knew would.
    func edited(_ from: String, _ to: String) throws -> URL {
      let text = String(decoding: good, as: UTF8.self)
      XCTAssertTrue(text.contains(from), "the checkpoint holds \(from)")
      let damaged = Self.folder.appendingPathComponent("edited.ckpt")
      var bytes = good.replacing(Data(from.utf8), with: Data(to.utf8))
      let crc = bytes.withUnsafeBytes { CRC32.of($0.baseAddress!, count: $0.count - 4) }
      withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: $0) }
      try bytes.write(to: damaged)
      return damaged
    }
    XCTAssertThrowsError(try TrainingRun(corpus: corpus, resuming: edited(#""phase":"0""#, #""phase":"7""#))) {
      XCTAssertTrue("\($0)".contains("outside this run"), "\($0)")
    }
    XCTAssertThrowsError(try TrainingRun(corpus: corpus, resuming: edited(#"\"batch_size\":16"#, #"\"batch_size\":-0"#))) {
      XCTAssertTrue("\($0)".contains("batch_size is 0, expected 1 to"), "\($0)")
    }
  }

  func testFrozenLayersKeepTheirWeightsAndTheHeadTrains() throws {
    let corpus = try Self.corpus(pairs: 60)
    var settings = Self.settings(epochs: 1)
    settings.trainLayers = .head
    let run = try TrainingRun(corpus: corpus, spec: try Self.smallSpec(corpus), settings: settings)
    let before = Dictionary(uniqueKeysWithValues: run.model.image.namedParameters().map { ($0.0, $0.1.value.scalars) })
    let buffers = run.model.image.namedBuffers().map { $0.1.value.scalars }
    // Weights as the image phase ends: the collapse guard may put a tower back after the epoch.
    var trained = [String: [Float]]()
    XCTAssertTrue(run.loop.run(epochs: 1, onBatch: { phase, done, _ in
      if phase == .image && done == run.trainingPairs.count {
        trained = Dictionary(uniqueKeysWithValues: run.model.image.namedParameters().map { ($0.0, $0.1.value.scalars) })
      }
    }))
    for (name, _) in run.model.image.namedParameters() {
      if name.hasPrefix("hash.") { XCTAssertNotEqual(trained[name], before[name], name) } else { XCTAssertEqual(trained[name], before[name], name) }
    }
    XCTAssertEqual(run.model.image.namedBuffers().map { $0.1.value.scalars }, buffers, "frozen BatchNorm statistics")
  }

  func testFeatureRowCorporaTrainThroughTheMLPTowers() throws {
    var corpus = try Self.corpus(pairs: 60)
    var g = RandomGenerator(seed: 8)
    // Image feature rows instead of pixels; the texts as a tag bag-of-words matrix with named columns.
    corpus.imageFeatures = FeatureMatrix(rows: 60, columns: 12, values: g.normal([60, 12]).scalars)
    let words = Vocabulary.build(corpus.pairs.compactMap(\.text), mode: .sentences)
    corpus.textFeatures = FeatureMatrix(rows: 60, columns: words.count, values: words.encode(corpus.pairs.map { $0.text ?? "" }).rows.dense().scalars)
    corpus.info.textVocabulary = words.words
    for i in corpus.pairs.indices { corpus.pairs[i].image = nil }
    let spec = try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 16, imageHidden: [32], textHidden: [32])
    XCTAssertEqual(spec.architecture, .mlp)
    XCTAssertEqual(spec.imageFeatures, 12)
    guard case .features(let columns, let vocabulary) = spec.text else { return XCTFail("text input \(spec.text)") }
    XCTAssertEqual(columns, words.count)
    XCTAssertEqual(vocabulary?.words, words.words)
    // A query over the named columns is scaled to the training rows' mean norm, as words are.
    let training = words.encode(corpus.splits!.train.map { corpus.pairs[$0].text ?? "" }).rows.norms.filter { $0 > 0 }
    XCTAssertEqual(try XCTUnwrap(vocabulary?.queryNorm), training.reduce(0, +) / Float(training.count), accuracy: 1e-5)
    let run = try TrainingRun(corpus: corpus, spec: spec, settings: Self.settings(epochs: 2))
    XCTAssertTrue(run.loop.run(epochs: 2))
    let codes = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: corpus.splits!.query)
    XCTAssertEqual(codes.image.count, corpus.splits!.query.count)
    XCTAssertThrowsError(try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 16, architecture: .compact10)) {
      XCTAssertTrue("\($0)".contains("choose mlp"), "\($0)")
    }
  }

  func testCheckpointOfAnotherTrainingSetIsRefused() throws {
    let small = try Self.corpus(pairs: 60), other = try Self.corpus(pairs: 80)
    let run = try TrainingRun(corpus: small, spec: try Self.smallSpec(small), settings: Self.settings(epochs: 1))
    let url = Self.folder.appendingPathComponent("other.ckpt")
    try run.saveCheckpoint(to: url)
    XCTAssertThrowsError(try TrainingRun(corpus: other, resuming: url)) { error in
      XCTAssertTrue("\(error)".contains("other.ckpt"), "\(error)")
    }
  }
}

final class TrainingLearnsTests: XCTestCase {
  /// Trains both towers on 500 pairs of a generated corpus for a few epochs; the codes must
  /// retrieve across modalities far better than the untrained towers' codes and random codes.
  func testTrainingMakesCodesThatRetrieveAcrossModalities() throws {
    let corpus = try TrainingTests.corpus(pairs: 1000)
    let splits = corpus.splits!
    let spec = try ModelSpec.make(for: corpus, training: splits.train, bits: 32, architecture: .compact10, inputSize: 32, width: 8,
                                  imageHidden: [128], textHidden: [256, 256])
    var settings = TrainingSettings()
    settings.epochs = 20
    settings.batchSize = 32
    settings.textLearningRate = 1e-4
    let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    func maps() throws -> [Double] {
      let q = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.query)
      let r = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.retrieval)
      return CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i]).map(\.1.map)
    }
    let untrained = try maps()
    var g = RandomGenerator(seed: 9)
    let random = { (n: Int) in BinaryCodes(signs: g.normal([n, 32]).data, count: n, bits: 32) }
    let labels = CrossModalEvaluation.labels(corpus, splits.query), retrievalLabels = CrossModalEvaluation.labels(corpus, splits.retrieval)
    let chance = RetrievalMetrics.evaluate(queries: random(splits.query.count), queryLabels: labels,
                                           database: random(splits.retrieval.count), databaseLabels: retrievalLabels).map
    XCTAssertTrue(run.loop.run(epochs: settings.epochs))
    let trained = try maps()
    print("MAP i→t, t→i: untrained \(untrained), random \(chance), trained \(trained)")
    for (direction, map) in zip(["i→t", "t→i"], trained) {
      XCTAssertGreaterThan(map, max(untrained.max()!, chance) + 0.06, "MAP \(direction)")
    }
  }

  /// The same training with the convolutions in bf16 (oneDNN) reaches the float32 run's MAP
  /// within 0.01 in both directions; skipped where bf16 does not run.
  func testBF16TrainingReachesTheFloat32MAP() throws {
    do { try Precision.configure(.bf16) } catch { throw XCTSkip("bf16 does not run on this machine: \(error)") }
    defer { _ = try? Precision.configure(nil) }
    let corpus = try TrainingTests.corpus(pairs: 1000)
    let splits = corpus.splits!
    var maps = [[Double]]()
    for precision in [PrecisionRequest.fp32, .bf16] {
      try Precision.configure(precision)
      let spec = try ModelSpec.make(for: corpus, training: splits.train, bits: 32, architecture: .compact10, inputSize: 32, width: 8,
                                    imageHidden: [128], textHidden: [256, 256])
      var settings = TrainingSettings()
      (settings.epochs, settings.batchSize, settings.textLearningRate) = (20, 32, 1e-4)
      let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
      XCTAssertTrue(run.loop.run(epochs: settings.epochs))
      let q = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.query)
      let r = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.retrieval)
      maps.append(CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i]).map(\.1.map))
    }
    XCTAssertEqual(Precision.current, .bf16, "bf16 ran without falling back: \(Precision.choice.reason)")
    print("MAP i→t, t→i: fp32 \(maps[0]), bf16 \(maps[1])")
    for (d, direction) in ["i→t", "t→i"].enumerated() {
      XCTAssertEqual(maps[1][d], maps[0][d], accuracy: 0.01, "MAP \(direction)")
      XCTAssertGreaterThan(maps[1][d], 0.6, "bf16 training learns, \(direction)")
    }
  }
}

final class FeatureAugmentationTests: XCTestCase {
  func testOversamplingCopiesRealPairsOfThePlannedLabelSets() throws {
    let corpus = try TrainingTests.corpus(pairs: 60)
    var g = RandomGenerator(seed: 3)
    let model = CrossModalModel(spec: try TrainingTests.smallSpec(corpus), generator: &g)
    let train = corpus.splits!.train
    let real = try FeatureAugmentation.realPairs(model, corpus: corpus, pairs: train)
    XCTAssertEqual(real.features.shape, [train.count, 64])  // compact10 width 8: 64 pooled features
    let (synthetic, plan) = try FeatureAugmentation.synthesize(real, labelCount: 24, method: .oversample)
    XCTAssertEqual(synthetic.count, plan.labelSets.count)
    XCTAssertEqual(synthetic.labels, plan.labelSets)
    for r in 0..<synthetic.count {
      let source = real.labels.firstIndex(of: synthetic.labels[r])!
      XCTAssertEqual(synthetic.labels[r], real.labels[source])
    }
    var diffusion = DiffusionSettings()
    diffusion.iterations = 20
    let (generated, _) = try FeatureAugmentation.synthesize(real, labelCount: 24, method: .diffusion, settings: diffusion)
    XCTAssertEqual(generated.features.shape, [plan.labelSets.count, 64])
    XCTAssertEqual(generated.texts.columnCount, real.texts.columnCount)
    XCTAssertEqual(real.appending(synthetic).count, real.count + synthetic.count)
  }
}

final class PixelCacheTests: XCTestCase {
  func testCacheIsWrittenOnceReusedAndRebuiltWhenAnImageChanges() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-pixels-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let corpus = try ShapesCorpus.generate(into: folder, settings: ShapesCorpusSettings(pairs: 20, size: 32, seed: 5))
    var calls = 0
    let first = try PixelCache.open(corpus, size: 32) { _, _ in calls += 1 }
    XCTAssertEqual(first.url?.lastPathComponent, "pixels-32.cmhpix")
    XCTAssertGreaterThan(calls, 0)
    let spec = try TrainingTests.smallSpec({ var c = corpus; c.splits = Splits(query: [0], retrieval: Array(1..<20), train: Array(1..<20)); return c }())
    let fresh = try ImageInputs.load(corpus, pairs: [3, 7], spec: spec).batch([0, 1])
    // Reopening maps the file: the same pixels, no decoding (one progress call for the whole corpus).
    calls = 0
    _ = try PixelCache.open(corpus, size: 32) { done, total in calls += 1; XCTAssertEqual(done, total) }
    XCTAssertEqual(calls, 1)
    XCTAssertEqual(try ImageInputs.load(corpus, pairs: [3, 7], spec: spec).batch([0, 1]).scalars, fresh.scalars)
    // The same pixels as decoding the files directly.
    let direct = try ImageInputs.decode([3, 7].map { corpus.imageURL(corpus.pairs[$0])! }, size: 32).batch([0, 1])
    XCTAssertEqual(direct.scalars, fresh.scalars)
    // A damaged byte in the blocks: the cache is decoded again (same pixels), and rewritten whole.
    let file = try XCTUnwrap(first.url), good = try Data(contentsOf: file)
    var damaged = good
    damaged[damaged.count - 100] ^= 0x40
    try damaged.write(to: file)
    _ = try PixelCache.open(corpus, size: 32)
    XCTAssertEqual(try Data(contentsOf: file), good, "decoded again and rewritten whole")
    XCTAssertEqual(try ImageInputs.load(corpus, pairs: [3, 7], spec: spec).batch([0, 1]).scalars, fresh.scalars)
    // A replaced image (new contents and time) makes a new cache.
    let image = corpus.imageURL(corpus.pairs[3])!
    try FileManager.default.copyItem(at: corpus.imageURL(corpus.pairs[4])!, to: folder.appendingPathComponent("x.jpg"))
    try FileManager.default.removeItem(at: image)
    try FileManager.default.moveItem(at: folder.appendingPathComponent("x.jpg"), to: image)
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: image.path)
    calls = 0
    _ = try PixelCache.open(corpus, size: 32) { _, _ in calls += 1 }
    let rebuilt = try ImageInputs.load(corpus, pairs: [3, 4], spec: spec).batch([0, 1])
    XCTAssertEqual(Array(rebuilt.scalars[0..<(3 * 32 * 32)]), Array(rebuilt.scalars[(3 * 32 * 32)...]))
  }
}

final class PixelStreamTests: XCTestCase {
  func testStreamedPixelsMatchTheCacheAndAreWrittenOnceDone() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-stream-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    var corpus = try ShapesCorpus.generate(into: folder, settings: ShapesCorpusSettings(pairs: 60, size: 32, seed: 6))
    corpus.splits = Splits(query: [0], retrieval: Array(1..<60), train: Array(1..<60))
    let spec = try TrainingTests.smallSpec(corpus)
    let cacheFile = folder.appendingPathComponent("cache/pixels-32.cmhpix")
    let streamed = try ImageInputs.load(corpus, pairs: Array(1..<60), spec: spec, streaming: true)
    // Batches in an announced order, then one outside it, as a trainer and a frozen backbone ask.
    var g = RandomGenerator(seed: 1)
    let order = g.permutation(59)
    streamed.announce(order)
    let batches = stride(from: 0, to: 59, by: 8).map { Array(order[$0..<min($0 + 8, 59)]) } + [[58, 0, 30]]
    let seen = batches.map { streamed.batch($0).scalars }
    try streamed.finish()
    XCTAssertNil(streamed.failure)
    XCTAssertTrue(FileManager.default.fileExists(atPath: cacheFile.path), "the finished stream writes the cache")
    let cached = try ImageInputs.load(corpus, pairs: Array(1..<60), spec: spec)
    for (rows, pixels) in zip(batches, seen) { XCTAssertEqual(cached.batch(rows).scalars, pixels) }
    // With a cache in place, streaming is not needed and the file is simply mapped.
    XCTAssertNil(try ImageInputs.load(corpus, pairs: [1], spec: spec, streaming: true).failure)
  }

  func testAnImageThatCannotBeDecodedIsNamedAndNoCacheIsWritten() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-stream-bad-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    var corpus = try ShapesCorpus.generate(into: folder, settings: ShapesCorpusSettings(pairs: 20, size: 32, seed: 7))
    corpus.splits = Splits(query: [0], retrieval: Array(1..<20), train: Array(1..<20))
    let bad = corpus.imageURL(corpus.pairs[5])!
    let whole = try Data(contentsOf: bad)
    try whole.prefix(whole.count / 3).write(to: bad)
    let streamed = try ImageInputs.load(corpus, pairs: Array(1..<20), spec: try TrainingTests.smallSpec(corpus), streaming: true)
    _ = streamed.batch(Array(0..<19))
    XCTAssertTrue(streamed.failure?.contains(bad.path) ?? false, streamed.failure ?? "no failure")
    XCTAssertThrowsError(try streamed.finish()) { XCTAssertTrue("\($0)".contains(bad.path), "\($0)") }
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("cache/pixels-32.cmhpix").path))
  }
}
