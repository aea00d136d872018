// LabelClassifier: the ceiling of what the pixels show. The image tower of a model's spec, a
// linear head on its outputs, trained as a plain multi-label classifier (binary cross-entropy,
// Adam with a one-cycle rate, each label's loss balanced by what is left of it) on the training
// images; its per-label AP on the query images (rank the query images by the label's score) is
// what per-label retrieval is compared with.

import CauchyLoss
import Corpus
import Foundation
import ImageNet
import Hashing
import Model
import Tensor

public struct ClassifierSettings: Sendable {
  public var epochs = 40, batchSize = 64
  /// The one-cycle schedule's peak rate.
  public var learningRate: Float = 3e-3
  /// P of the per-label balance (LabelPrediction).
  public var balance: Float = 1
  public var seed: UInt64 = 1
  /// Quarter turns beside mirroring (TrainingSettings.turnImages).
  public var turnImages = false
  public init() {}
}

public final class LabelClassifier {
  let tower: Module
  let head: Linear
  public let optimizer: Adam
  let settings: ClassifierSettings
  let labelCount: Int
  let term: LabelPrediction
  let schedule: OneCycleSchedule
  /// Steps taken (the one-cycle schedule's position; a checkpoint keeps it).
  public private(set) var stepsDone = 0

  /// A classifier of a new image tower of `spec` (its weights drawn from the seed) for `images` items.
  public convenience init(spec: ModelSpec, settings: ClassifierSettings, items: Int) {
    var g = RandomGenerator(seed: settings.seed)
    self.init(tower: CrossModalModel(spec: spec, generator: &g).image, outputs: spec.bits, labels: spec.labels.count,
              settings: settings, items: items, generator: &g)
  }

  /// A classifier of `tower` (trained in place), whose outputs have `outputs` columns, over
  /// `settings.epochs` epochs of `items` items.
  public init(tower: Module, outputs: Int, labels: Int, settings: ClassifierSettings, items: Int, generator g: inout RandomGenerator) {
    self.tower = tower
    head = Linear(outputs, labels, generator: &g)
    labelCount = labels
    self.settings = settings
    optimizer = Adam(groups: [ParameterGroup(tower.namedParameters() + head.namedParameters().map { ("head." + $0.0, $0.1) },
                                             learningRate: settings.learningRate)])
    // Items = L makes the term the plain mean over the batch of the per-row sum over labels.
    term = LabelPrediction(weight: 1, items: labels, balance: settings.balance)
    schedule = OneCycleSchedule(totalSteps: settings.epochs * ((items + settings.batchSize - 1) / settings.batchSize))
  }

  /// One step on a batch `x` (this rank's part of it under mpirun: `rows` is the whole batch's
  /// count and `ranks` sums the gradients) with multi-hot `labels`; returns the batch's loss.
  public func step(_ x: Tensor, labels: Tensor, rows: Int? = nil, ranks: DataParallel? = nil) -> Float {
    tower.setTraining(true)
    head.setTraining(true)
    let (loss, dLogits) = term.evaluate(logits: head.forward(tower.forward(x)), labels: labels, rows: rows, whole: { ranks?.sum($0) ?? $0 })
    optimizer.zeroGradients()
    _ = tower.backward(head.backward(dLogits))
    ranks?.sumGradients(of: tower)
    ranks?.sumGradients(of: head)
    optimizer.groups[0].learningRate = settings.learningRate * schedule.factor(step: stepsDone)
    optimizer.step()
    stepsDone += 1
    return ranks.map { $0.sum([loss])[0] } ?? loss
  }

  /// The head's weights and the step count, as a checkpoint keeps them under `prefix`.
  public func tensors(prefix: String) -> [(String, Tensor)] {
    head.namedParameters().map { (prefix + "head." + $0.0, $0.1.value) } + [(prefix + "steps", Tensor(shape: [1], values: [Float(stepsDone)]))]
  }

  /// Takes back what `tensors(prefix:)` kept; false when something is missing or of another shape.
  public func restore(_ tensors: [String: Tensor], prefix: String) -> Bool {
    for (name, p) in head.namedParameters() {
      guard let t = tensors[prefix + "head." + name], t.shape == p.value.shape else { return false }
      p.value.assign(t)
    }
    // A damaged count must not trap (Int of NaN) or send the schedule past its end.
    guard let steps = tensors[prefix + "steps"], steps.count == 1, let count = Int(exactly: steps.scalars[0]), count >= 0 else { return false }
    stepsDone = count
    return true
  }

  /// Trains on `images` with multi-hot `labels`; `onBatch(epoch, images done in it)` as it goes,
  /// `onEpoch(epoch, mean loss)` after each epoch.
  public func train(_ images: ImageInputs, labels: [[Int]], onBatch: (Int, Int) -> Void = { _, _ in }, onEpoch: (Int, Float) -> Void = { _, _ in }) {
    precondition(images.count == labels.count && !labels.isEmpty, "LabelClassifier: \(images.count) images, \(labels.count) label sets")
    var g = RandomGenerator(seed: settings.seed &+ 0xC1A5)
    for epoch in 1...settings.epochs {
      let order = g.permutation(images.count)
      var total = 0.0
      for start in stride(from: 0, to: order.count, by: settings.batchSize) {
        let rows = Array(order[start..<min(start + settings.batchSize, order.count)])
        let placed = Orientation.random(rows.count, mirror: true, turn: settings.turnImages, generator: &g)
        let loss = step(images.batch(rows, orientations: placed), labels: multiHot(rows.map { labels[$0] }, labelCount: labelCount))
        total += Double(loss) * Double(rows.count)
        onBatch(epoch, start + rows.count)
      }
      onEpoch(epoch, Float(total / Double(images.count)))
    }
  }

  /// Label scores [n, L] (logits) of `images`.
  public func scores(_ images: ImageInputs) -> Tensor {
    tower.setTraining(false)
    head.setTraining(false)
    let out = Tensor(zeros: [images.count, labelCount])
    for start in stride(from: 0, to: images.count, by: 128) {
      let rows = Array(start..<min(start + 128, images.count))
      out.setRows(rows, head.forward(tower.infer(images.batch(rows))))
    }
    return out
  }

  /// Each label's AP when `scores` [n, L] rank the n items for it (items that hold it are
  /// relevant; equal scores by item order); nil for a label no item holds.
  public static func averagePrecision(_ scores: Tensor, labels: [[Int]]) -> [Double?] {
    let (n, count) = (scores.shape[0], scores.shape[1])
    return (0..<count).map { l in
      let holds = labels.map { $0.contains(l) ? 1 : 0 }
      guard holds.contains(1) else { return nil }
      let order = (0..<n).sorted { (-scores.data[$0 * count + l], $0) < (-scores.data[$1 * count + l], $1) }
      return MetricsReference.averagePrecision(order.map { holds[$0] }, depth: n)
    }
  }

  /// One label's figures in the ceiling experiment: the model's per-label MAP Image→Image beside
  /// what the classifier reaches, as a classifier and as codes ranked the same way.
  public struct Ceiling: Sendable {
    /// The model's per-label retrieval, Image→Image in Hamming order.
    public var retrieval: LabelScore
    /// The classifier's AP: the query images ranked by the label's score.
    public var classifier: Double
    /// The same per-label retrieval with the items ranked by the cosine of the classifier's
    /// centred probabilities (p − ½ a label): what ranking by all labels reaches with what the
    /// pixels show.
    public var classifierRanking: Double
    /// The same with the true label sets as the codes (Hamming order): ranking by all labels,
    /// weighed alike, with nothing missed.
    public var labelCodes: Double
    /// The AP of a text naming the label alone (a search for it) ranking the query images by the
    /// cosine of its output with theirs, as the classifier ranks them by score; nil when the
    /// model reads no free text or its vocabulary lacks a word of the name.
    public var namedText: Double?
  }

  /// The ceiling beside the model: a classifier of `model`'s image tower trained on `corpus`'s
  /// training split, each label's AP on the query images, and per-label MAP Image→Image of the
  /// model's codes (Hamming order), of the classifier's probabilities (cosine) and of the true
  /// label sets as codes.
  public static func ceiling(of model: CrossModalModel, on corpus: Corpus, settings: ClassifierSettings,
                             onBatch: (Int, Int) -> Void = { _, _ in }, onEpoch: (Int, Float) -> Void = { _, _ in }) throws -> [Ceiling] {
    let splits = try corpus.requireSplits()
    var settings = settings
    settings.turnImages = model.record?.settings.turnImages ?? false  // placed as the model's training placed them
    let classifier = LabelClassifier(spec: model.spec, settings: settings, items: splits.train.count)
    classifier.train(try ImageInputs.load(corpus, pairs: splits.train, spec: model.spec), labels: splits.train.map { corpus.pairs[$0].labels },
                     onBatch: onBatch, onEpoch: onEpoch)
    let scored = { (pairs: [Int]) in classifier.scores(try ImageInputs.load(corpus, pairs: pairs, spec: model.spec)) }
    let (queryScores, retrievalScores) = (try scored(splits.query), try scored(splits.retrieval))
    let ap = averagePrecision(queryScores, labels: splits.query.map { corpus.pairs[$0].labels })
    let codes = { (pairs: [Int]) in try CrossModalEvaluation.codes(model, corpus: corpus, pairs: pairs) }
    let centred = { (logits: Tensor, pairs: [Int]) in labelCodes(logits.scalars.map { 1 / (1 + exp(-$0)) - 0.5 }, corpus, pairs) }
    let truth = { (pairs: [Int]) in labelCodes(multiHot(pairs.map { corpus.pairs[$0].labels }, labelCount: corpus.info.labels.count).scalars.map { $0 - 0.5 }, corpus, pairs) }
    let predicted = perLabelMAP(centred(queryScores, splits.query), centred(retrievalScores, splits.retrieval), corpus, rerank: .stored)
    let perfect = perLabelMAP(truth(splits.query), truth(splits.retrieval), corpus, rerank: .none)
    let queryCodes = try codes(splits.query), names = corpus.info.labels
    // Every query image re-ranked, so that the text's output ranks them all as the classifier's scores do.
    let named = LabelEvaluation.namedAlone(model: model, names: names, kinds: nil, items: queryCodes, directions: [.t2i], rerank: .stored,
                                           settings: RerankSettings(candidates: splits.query.count)).first?.labels ?? []
    return perLabelMAP(queryCodes, try codes(splits.retrieval), corpus, rerank: .none).compactMap { l, s in
      ap[l].map { Ceiling(retrieval: s, classifier: $0, classifierRanking: predicted[l]?.ap ?? 0, labelCodes: perfect[l]?.ap ?? 0,
                          namedText: named.first { $0.label == l }?.ap) }
    }.sorted { $0.retrieval.label < $1.retrieval.label }
  }

  /// Per-label MAP Image→Image of `queries` against `retrieval` (every item a candidate of the
  /// re-ranking), by label.
  static func perLabelMAP(_ queries: CodeSet, _ retrieval: CodeSet, _ corpus: Corpus, rerank: RerankMethod) -> [Int: LabelScore] {
    let scores = LabelEvaluation.perLabel(queries: queries, retrieval: retrieval, names: corpus.info.labels, kinds: corpus.info.labelKinds,
                                          directions: [.i2i], rerank: rerank, settings: RerankSettings(candidates: retrieval.image.count))[0].labels
    return Dictionary(uniqueKeysWithValues: scores.map { ($0.label, $0) })
  }

  /// Codes of one bit a label (the sign of `values`, [n, L] row-major, kept beside them for
  /// re-ranking) for both modalities of `pairs`.
  static func labelCodes(_ values: [Float], _ corpus: Corpus, _ pairs: [Int]) -> CodeSet {
    CodeSet(imageOutputs: values, textOutputs: values, bits: corpus.info.labels.count, labels: CrossModalEvaluation.labels(corpus, pairs))
  }
}

/// Multi-hot rows [n, L] of label sets.
public func multiHot(_ sets: [[Int]], labelCount: Int) -> Tensor {
  let t = Tensor(zeros: [sets.count, labelCount])
  for (i, set) in sets.enumerated() { for l in set { t.data[i * labelCount + l] = 1 } }
  return t
}
