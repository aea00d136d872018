// Tests of the long-tail module: the noising process against its closed form, the conditional
// generator on a 2-D mixture (samples land in the mode of the label asked for), the balance
// planner's counts, and long-tailed subsampling that leaves query and retrieval sets alone.

import Augment
import Corpus
import Foundation
import Tensor
import XCTest

final class AugmentTests: XCTestCase {
  func testStepwiseNoisingMatchesTheClosedForm() {
    let schedule = NoiseSchedule(steps: 1000)
    XCTAssertEqual(schedule.alphaBar[0], 1)
    XCTAssertLessThan(schedule.alphaBar[1000], 1e-4)
    XCTAssertEqual(schedule.alphaBar[500], 0.49, accuracy: 0.02)  // cos² of about π/4
    // Run the one-step chain x_t = √(1−β_t) x_{t−1} + √β_t ε from x_0 = 1.5 for 20,000 samples:
    // at t = 300 its mean and variance must be √ᾱ·x_0 and 1 − ᾱ.
    var g = RandomGenerator(seed: 1)
    let n = 20_000, t = 300
    var x = [Double](repeating: 1.5, count: n)
    for step in 1...t {
      let beta = schedule.beta(step)
      for i in 0..<n { x[i] = (1 - beta).squareRoot() * x[i] + beta.squareRoot() * Double(g.nextNormal()) }
    }
    let mean = x.reduce(0, +) / Double(n), variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
    XCTAssertEqual(mean, 1.5 * schedule.alphaBar[t].squareRoot(), accuracy: 0.02)
    XCTAssertEqual(variance, 1 - schedule.alphaBar[t], accuracy: 0.02)
    XCTAssertEqual(Double(schedule.noised(1.5, noise: 0.5, at: t)), 1.5 * schedule.alphaBar[t].squareRoot() + 0.5 * (1 - schedule.alphaBar[t]).squareRoot(), accuracy: 1e-6)
    // DDIM with the true noise recovers x_0 exactly.
    let xt = schedule.noised(0.7, noise: -1.2, at: 600)
    XCTAssertEqual(schedule.ddimStep(xt, predictedNoise: -1.2, from: 600, to: 0), 0.7, accuracy: 1e-5)
    XCTAssertEqual(schedule.samplingPath(4), [1000, 750, 500, 250, 0])
  }

  func testConditionalSamplesFallInTheModeOfTheirLabel() throws {
    let centres: [(Float, Float)] = [(-2, 0), (2, 0), (0, 2.5)]
    var g = RandomGenerator(seed: 2)
    let n = 3000
    let rows = Tensor(zeros: [n, 2]), labels = Tensor(zeros: [n, 3])
    for i in 0..<n {
      let c = i % 3
      rows.data[2 * i] = centres[c].0 + 0.3 * g.nextNormal()
      rows.data[2 * i + 1] = centres[c].1 + 0.3 * g.nextNormal()
      labels.data[3 * i + c] = 1
    }
    var settings = DiffusionSettings()
    settings.iterations = 1500
    let model = DiffusionGenerator(shape: DenoiserShape(dimensions: 2, labels: 3, hidden: 64, blocks: 2), settings: settings)
    try model.fit(rows, labels: labels)
    let asked = Tensor(zeros: [300, 3])
    for i in 0..<300 { asked.data[3 * i + i % 3] = 1 }
    let samples = model.sample(labels: asked)
    var hits = 0
    for i in 0..<300 {
      let (x, y) = (samples.data[2 * i], samples.data[2 * i + 1])
      let nearest = (0..<3).min { pow(x - centres[$0].0, 2) + pow(y - centres[$0].1, 2) < pow(x - centres[$1].0, 2) + pow(y - centres[$1].1, 2) }!
      if nearest == i % 3 && pow(x - centres[nearest].0, 2) + pow(y - centres[nearest].1, 2) < 1 { hits += 1 }
    }
    XCTAssertGreaterThanOrEqual(hits, 270, "\(hits) of 300 samples within 1 of the centre of the label they were asked for")
  }

  func testPlannerReachesTheTargetWithRealLabelSets() {
    let labels = [[0]] * 50 + [[0, 1]] * 5 + [[2]] * 3 + [[1, 2]] * 2
    let plan = BalancePlanner.plan(labels, labelCount: 4, seed: 3)
    XCTAssertEqual(plan.target, 55)
    XCTAssertEqual(plan.realCounts, [55, 7, 5, 0])
    for l in 0..<3 { XCTAssertGreaterThanOrEqual(plan.plannedCounts[l], 55, "label \(l)") }
    XCTAssertEqual(plan.plannedCounts[3], 0, "a label no real pair has cannot be generated")
    let real = Set(labels)
    XCTAssertTrue(plan.labelSets.allSatisfy { real.contains($0) })
    XCTAssertEqual(BalancePlanner.plan(labels, labelCount: 4, limit: 10).labelSets.count, 10)
  }

  func testLongTailedSplitKeepsQueriesAndRetrievalAndReachesTheRatio() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-longtail-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    var corpus = try ShapesCorpus.generate(into: folder, settings: ShapesCorpusSettings(pairs: 2000, size: 16, seed: 4))
    corpus.splits = try Splits.protocolSplit(corpus.pairs, queries: 200, train: 1500, seed: 4)
    let longTailed = try LongTail.subsample(corpus, imbalance: 10, seed: 5)
    XCTAssertEqual(longTailed.splits!.query, corpus.splits!.query)
    XCTAssertEqual(longTailed.splits!.retrieval, corpus.splits!.retrieval)
    XCTAssertTrue(Set(longTailed.splits!.train).isSubset(of: Set(corpus.splits!.train)))
    let before = LongTailProfile(corpus.splits!.train.map { corpus.pairs[$0].labels }, labelCount: 24)
    let after = LongTailProfile(longTailed.splits!.train.map { corpus.pairs[$0].labels }, labelCount: 24)
    XCTAssertLessThan(before.imbalance, 3)
    XCTAssertGreaterThan(after.imbalance, 5, "\(after.labelCounts)")
    XCTAssertEqual(after.head.count + after.medium.count + after.tail.count, 24)
  }

  /// Loss re-weighting: pairs of rare labels weigh more, the weights average 1, and a corpus
  /// without labels weighs every pair alike.
  func testInverseFrequencyWeights() {
    let w = FeatureAugmentation.inverseFrequencyWeights([[0], [0], [0], [1], [0, 1]], labelCount: 2)
    XCTAssertEqual(Double(w.reduce(0, +)) / 5, 1, accuracy: 1e-6)
    XCTAssertEqual(w[0], w[1])
    XCTAssertGreaterThan(w[3], w[4])
    XCTAssertGreaterThan(w[4], w[0])
    // Label 0 in 4 pairs, label 1 in 2: pair 3 weighs 1/2, pair 0 1/4, pair 4 (1/4 + 1/2)/2.
    XCTAssertEqual(Double(w[3] / w[0]), 2, accuracy: 1e-6)
    XCTAssertEqual(FeatureAugmentation.inverseFrequencyWeights([[], []], labelCount: 3), [1, 1])
  }

  /// The augmented corpus that pre-training reads: the real pairs and splits, with the synthetic
  /// pairs added to the training split only, and every image named by absolute path.
  func testAugmentedCorpusAddsToTheTrainingSplitOnly() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-augmented-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    var real = try ShapesCorpus.generate(into: folder.appendingPathComponent("real"), settings: ShapesCorpusSettings(pairs: 40, size: 32, seed: 6))
    real.splits = Splits(query: Array(0..<4), retrieval: Array(4..<40), train: Array(10..<40))
    let added = InputPairs.copies(of: Array(real.splits!.train.prefix(5)), in: real, prefix: "copy")
    let augmented = try AugmentedCorpus.make(real, adding: added, in: folder.appendingPathComponent("augmented"))
    let reloaded = try Corpus.load(folder.appendingPathComponent("augmented"))
    for corpus in [augmented, reloaded] {
      XCTAssertEqual(corpus.splits!.query.map { corpus.pairs[$0].id }, real.splits!.query.map { real.pairs[$0].id })
      XCTAssertEqual(corpus.splits!.retrieval.map { corpus.pairs[$0].id }, real.splits!.retrieval.map { real.pairs[$0].id })
      XCTAssertEqual(corpus.splits!.train.count, real.splits!.train.count + 5)
      XCTAssertEqual(corpus.splits!.train.filter { corpus.pairs[$0].synthetic }.count, 5)
      XCTAssertTrue(corpus.pairs.allSatisfy { $0.image!.hasPrefix("/") && FileManager.default.fileExists(atPath: $0.image!) })
    }
    XCTAssertThrowsError(try AugmentedCorpus.make(real, adding: InputPairs(pairs: [real.pairs[0]]), in: folder.appendingPathComponent("clash"))) {
      XCTAssertTrue("\($0)".contains("which a real pair has"), "\($0)")
    }
  }
}

private func * <T>(lhs: [T], rhs: Int) -> [T] { (0..<rhs).flatMap { _ in lhs } }
