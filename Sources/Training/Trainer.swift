// Trainer: the alternating optimisation of DESIGN.md. Per epoch:
//   1. θx — image batches; the loss of F_batch against the full G, plus α‖B − F‖² (and η‖Fᵀ1‖²),
//      back-propagated through the image tower (RMSprop);
//   2. θy — the same for text batches against the full F;
//   3. B = sign(F + G).
// F and G hold the latest outputs for all n training pairs, refreshed batch by batch. The
// learning rates halve every `halveEvery` epochs. With `labelEpochs`, as many epochs come first in
// which the image tower learns the labels as a classifier (LabelClassifier; the text phase rests).
// The epochs, batches and checkpoints are an AlternatingLoop's. Under mpirun the ranks share each
// batch (DataParallel).

import CauchyLoss
import Foundation
import ImageNet
import Model
import Tensor

public final class Trainer: AlternatingSteps {
  public let model: CrossModalModel
  public let settings: TrainingSettings
  let images: ImageInputs
  /// The part of the image tower that trains (all of it, or the layers above a frozen prefix whose
  /// outputs `images` then holds).
  let imageNetwork: Module
  let texts: TextInputs
  /// Multi-hot labels of the training pairs [n, L].
  let labels: Tensor
  public let count: Int
  public private(set) var F: Tensor, G: Tensor, B: Tensor
  let imageOptimizer: RMSprop, textOptimizer: RMSprop
  public let startingGenerator: RandomGenerator
  let collapseGuard: CollapseGuard
  /// The training target against all n pairs (label-set sizes taken once).
  let target: Similarity
  /// The label-prediction head shared by both towers, when the label term is on (LabelPrediction).
  let labelHead: LabelHead?
  /// The image tower as a classifier of the labels during the label epochs.
  let labelClassifier: LabelClassifier?
  /// The current epoch is a label epoch.
  private var learningLabels = false
  /// The ranks of an MPI job that share each batch (nil: this process computes whole batches).
  let ranks: DataParallel?
  /// Whether each tower (image, text) reads the whole batch's rows: its first pair is split by units.
  private var readsWholeBatch = [false, false]
  /// Each training pair's weight in the objective's gradient (loss re-weighting; nil: all 1). The
  /// epoch's reported losses stay unweighted.
  public var pairWeights: [Float]?
  /// The other modality's outputs with unit rows, for the Cauchy loss: a phase's batches all read
  /// the same ones (G through the image phase, F through the text phase), so they are scaled once
  /// a phase, not once a batch; `writes` tells when the outputs changed.
  private var unitRows: (of: Tensor, writes: Int, rows: Tensor)?

  /// Loss terms of one batch: the similarity term and the quantization (+ balance) term.
  public struct BatchLoss: LossTerms {
    public var similarity: Float, quantization: Float
    /// The label-prediction term (0 when it is off).
    public var labels: Float = 0

    public static var zero: BatchLoss { BatchLoss(similarity: 0, quantization: 0) }
    public mutating func add(_ other: BatchLoss, weight: Float) {
      similarity += other.similarity * weight
      quantization += other.quantization * weight
      labels += other.labels * weight
    }
  }

  public struct EpochReport: Sendable {
    public var epoch: Int
    public var image: BatchLoss, text: BatchLoss
    public var seconds: Double
    public var imageLearningRate: Float, textLearningRate: Float
    /// Bits of B that changed sign in the B step.
    public var codeChanges: Int
    /// Distinct rows of F's and G's signs: near 1 means the codes collapsed to one.
    public var distinctImageCodes: Int, distinctTextCodes: Int
    /// Collapses found after this epoch and what the guard did, one line each (empty: none).
    public var collapseNotes: [String] = []
    /// Fewer distinct codes than this counts as a collapse.
    public var collapseFloor: Int
    /// A tower is collapsed and the guard has no remedy left.
    public var collapseUnresolved = false
    /// Under mpirun: the epoch's gradient sums and row gathers among the ranks.
    public var traffic: DataParallel.Traffic?
    /// A label epoch: the image tower learnt the labels (`image.labels`), nothing else trained.
    public var labelEpoch = false
  }

  /// `imageNetwork` is the trained part of the image tower when `images` are the outputs of a
  /// frozen prefix (default: the whole tower on `images`).
  public init(model: CrossModalModel, settings: TrainingSettings, images: ImageInputs, texts: TextInputs, labels: [[Int]],
              imageNetwork: Module? = nil, ranks: DataParallel? = nil) {
    precondition(images.count == texts.count && texts.count == labels.count && !labels.isEmpty,
                 "Trainer: \(images.count) images, \(texts.count) texts and \(labels.count) label sets")
    self.model = model
    self.settings = settings
    self.images = images
    self.imageNetwork = imageNetwork ?? model.image
    self.texts = texts
    count = labels.count
    let labelCount = model.spec.labels.count
    self.labels = multiHot(labels, labelCount: labelCount)
    imageOptimizer = RMSprop(groups: [ParameterGroup(self.imageNetwork.namedParameters(), learningRate: settings.imageLearningRate)])
    textOptimizer = RMSprop(groups: [ParameterGroup(model.text.namedParameters(), learningRate: settings.textLearningRate)])
    var generator = RandomGenerator(seed: settings.seed &+ 0x5EED)
    let k = model.spec.bits
    F = generator.uniform([count, k], -1, 1)
    G = generator.uniform([count, k], -1, 1)
    B = Quantization.codes(F, G)
    startingGenerator = generator
    target = Similarity(self.labels, kind: settings.similarity)
    collapseGuard = CollapseGuard(labelSets: Set(labels).count, towers: [self.imageNetwork, model.text])
    labelHead = settings.labelWeight > 0 ? LabelHead(bits: k, labels: labelCount, settings: settings, items: count) : nil
    labelClassifier = settings.labelEpochs > 0 ? Self.classifier(of: self.imageNetwork, bits: k, labels: labelCount, settings: settings, items: count) : nil
    self.ranks = ranks
    ranks?.synchroniseBatchNorm([self.imageNetwork, model.text])
    // The label epochs' classifier reads the layers below the hash head for each rank's rows.
    ranks?.shareFirstPairs(labelClassifier == nil ? [self.imageNetwork, model.text] : [model.text], batchSize: settings.batchSize)
    readsWholeBatch = [self.imageNetwork.trainsOnWholeBatch, model.text.trainsOnWholeBatch]
    ranks?.gatherLinearLayers([self.imageNetwork, model.text], batchSize: settings.batchSize)
  }

  public var batchSize: Int { settings.batchSize }

  /// The label epochs' classifier: Adam on a one-cycle rate peaking at 3e-3, each label balanced
  /// by its remaining loss (docs/labels.md: what let a tower from scratch learn shape).
  static func classifier(of tower: Module, bits: Int, labels: Int, settings: TrainingSettings, items: Int) -> LabelClassifier {
    let (features, width) = belowHashHead(tower) ?? (tower, bits)
    var c = ClassifierSettings()
    c.epochs = settings.labelEpochs
    c.batchSize = settings.batchSize
    // A generator of its own, so that the hashing epochs draw as they would without label epochs.
    var g = RandomGenerator(seed: settings.seed &+ 0x1AB7)
    return LabelClassifier(tower: features, outputs: width, labels: labels, settings: c, items: items, generator: &g)
  }

  /// The layers of `tower` below its hash head, sharing their parameters, and their output width.
  /// The label epochs teach these, as a pretrained backbone comes taught, and the hash head starts
  /// from its first weights: a classifier of the tanh codes themselves, on 100 training images,
  /// drove them to 9 sign patterns that the hashing epochs could not undo.
  static func belowHashHead(_ tower: Module) -> (Module, Int)? {
    guard let sequential = tower as? Sequential, let index = sequential.layers.firstIndex(where: { $0.1 is HashHead }), index > 0,
          let first = (sequential.layers[index].1 as! HashHead).layers.layers.first?.1 as? Linear else { return nil }
    return (Sequential(named: Array(sequential.layers[..<index])), first.inputSize)
  }

  /// Sets F and G to the towers' current outputs (evaluation mode) and B = sign(F + G), in place of
  /// the random start: a model that is fine-tuned keeps what it has learnt instead of being pulled
  /// towards random codes in its first epoch.
  public func startFromModel() {
    refreshOutputs(image: true, text: true)
  }

  /// Recomputes F (image) and/or G (text) from the towers in evaluation mode, then B.
  func refreshOutputs(image: Bool, text: Bool) {
    imageNetwork.setTraining(false)
    model.text.setTraining(false)
    for start in stride(from: 0, to: count, by: 256) {
      let rows = Array(start..<min(start + 256, count))
      if image { F.setRows(rows, imageNetwork.infer(images.batch(rows))) }
      if text { G.setRows(rows, model.text.forward(sparse: texts.batch(rows))) }
    }
    B = Quantization.codes(F, G)
  }

  // MARK: The steps

  /// The epoch's rates: the schedule's, times the collapse guard's factor for each tower.
  public func beginEpoch(_ epoch: Int, orders: [[Int]]) {
    images.announce(orders[0])
    learningLabels = epoch < settings.labelEpochs
    // The first hashing epoch starts from what the label epochs taught the tower, as fine-tuning does.
    if settings.labelEpochs > 0 && epoch == settings.labelEpochs {
      refreshOutputs(image: true, text: false)
      collapseGuard.keep(0, imageNetwork)
    }
    let schedule = StepSchedule(stepSize: settings.halveEvery, gamma: 0.5)
    for (t, optimizer) in [imageOptimizer, textOptimizer].enumerated() {
      optimizer.applySchedule(schedule, epoch: max(epoch - settings.labelEpochs, 0))
      for g in optimizer.groups.indices { optimizer.groups[g].learningRate *= collapseGuard.rateScale[t] }
    }
  }

  public func resumeEpoch(_ epoch: Int, orders: [[Int]]) {
    images.announce(orders[0])
    learningLabels = epoch < settings.labelEpochs
  }

  public func step(_ phase: Phase, rows: [Int], generator: inout RandomGenerator) -> BatchLoss {
    if learningLabels { return phase == .image ? labelStep(rows, generator: &generator) : .zero }
    return phase == .image ? imageStep(rows, generator: &generator) : textStep(rows)
  }

  /// A label epoch leaves the split layers as they were, whole.
  public func settle(optimizerState: Bool) {
    if !learningLabels { ranks?.settle([imageOptimizer, textOptimizer], state: optimizerState) }
  }

  /// The B step, the epoch's report and the collapse guard.
  public func endEpoch(_ epoch: Int, losses: [BatchLoss], seconds: Double) -> EpochReport {
    if learningLabels {
      ranks?.checkSameParameters([imageNetwork], after: epoch)
      var report = EpochReport(epoch: epoch, image: losses[0], text: .zero, seconds: seconds,
                               imageLearningRate: labelClassifier!.optimizer.groups[0].learningRate, textLearningRate: 0, codeChanges: 0,
                               distinctImageCodes: 0, distinctTextCodes: 0, collapseFloor: collapseGuard.floor)
      report.labelEpoch = true
      report.traffic = ranks?.traffic()
      return report
    }
    let newB = Quantization.codes(F, G)
    var changes = 0
    for i in 0..<newB.count where newB.data[i] != B.data[i] { changes += 1 }
    B = newB
    ranks?.checkSameParameters([imageNetwork, model.text], after: epoch)
    var report = EpochReport(epoch: epoch, image: losses[0], text: losses[1], seconds: seconds,
                             imageLearningRate: imageOptimizer.groups[0].learningRate, textLearningRate: textOptimizer.groups[0].learningRate,
                             codeChanges: changes, distinctImageCodes: Self.distinctSigns(F), distinctTextCodes: Self.distinctSigns(G),
                             collapseFloor: collapseGuard.floor)
    (report.collapseNotes, report.collapseUnresolved) = guardTowers(report)
    report.traffic = ranks?.traffic()
    return report
  }

  /// Runs the collapse guard on both towers after an epoch; a restored tower's outputs are
  /// computed again. Returns one line per tower that collapsed.
  private func guardTowers(_ report: EpochReport) -> (notes: [String], unresolved: Bool) {
    var notes = [String](), restored = [false, false], unresolved = false
    let towers: [(String, Module, Int, Optimizer)] = [("image", imageNetwork, report.distinctImageCodes, imageOptimizer),
                                                      ("text", model.text, report.distinctTextCodes, textOptimizer)]
    for (t, (name, tower, codes, optimizer)) in towers.enumerated() {
      let remedy: String
      switch collapseGuard.check(t, tower: tower, codes: codes, optimizer: optimizer) {
      case nil: continue
      case .balanced(_, let eta): remedy = "with the bit-balance term (η \(eta))"
      case .slowed(_, let scale): remedy = "\(name) rate × \(scale)"
      case .collapsed:
        unresolved = true
        notes.append("\(name) codes collapsed (\(codes) distinct, fewer than \(collapseGuard.floor)) after \(CollapseGuard.maximumRemedies) restarts (bit balance, lower rates): "
                     + "this model will not retrieve; try --\(name)-lr \(String(format: "%g", (t == 0 ? settings.imageLearningRate : settings.textLearningRate) / 10)) or narrower --\(name)-hidden layers")
        continue
      }
      restored[t] = true
      notes.append("\(name) codes collapsed (\(codes) distinct, fewer than \(collapseGuard.floor)): back to the weights of its last healthy epoch, \(remedy) from now on")
    }
    if restored.contains(true) { refreshOutputs(image: restored[0], text: restored[1]) }
    return (notes, unresolved)
  }

  /// A label epoch's batch: the image tower and the classifier's head learn the batch's labels.
  private func labelStep(_ rows: [Int], generator: inout RandomGenerator) -> BatchLoss {
    let placed = placements(rows.count, &generator)
    let part = ranks?.share(rows.count) ?? rows.indices, mine = Array(rows[part])
    let loss = labelClassifier!.step(images.batch(mine, orientations: placed.map { Array($0[part]) }), labels: labels.rows(mine),
                                     rows: ranks == nil ? nil : rows.count, ranks: ranks)
    return BatchLoss(similarity: 0, quantization: 0, labels: loss)
  }

  /// How each training image of a batch is placed: mirrored half the time, and turned when the
  /// collection has no upright. Drawn for the whole batch, so every rank draws the same.
  private func placements(_ count: Int, _ generator: inout RandomGenerator) -> [Orientation]? {
    Orientation.random(count, mirror: settings.flipImages, turn: settings.turnImages, generator: &generator)
  }

  private func imageStep(_ rows: [Int], generator: inout RandomGenerator) -> BatchLoss {
    let placed = placements(rows.count, &generator)
    let part = ranks?.share(rows.count) ?? rows.indices
    imageNetwork.setTraining(true)
    let read = readsWholeBatch[0] ? rows.indices : part
    let u = imageNetwork.forward(images.batch(Array(rows[read]), orientations: placed.map { Array($0[read]) }))
    F.setRows(rows, ranks?.gather(u) ?? u)
    let (loss, gradient) = objective(u, rows: rows, part: part, own: F, other: G, balance: max(settings.eta, collapseGuard.balance[0]))
    imageOptimizer.zeroGradients()
    _ = imageNetwork.backward(gradient)
    ranks?.sumGradients(of: imageNetwork)
    imageOptimizer.step()
    labelHead?.step(ranks: ranks)
    return ranks?.sum(loss) ?? loss
  }

  private func textStep(_ rows: [Int]) -> BatchLoss {
    let part = ranks?.share(rows.count) ?? rows.indices, mine = Array(rows[part])
    model.text.setTraining(true)
    let v = model.text.forward(sparse: texts.batch(readsWholeBatch[1] ? rows : mine))
    G.setRows(rows, ranks?.gather(v) ?? v)
    let (loss, gradient) = objective(v, rows: rows, part: part, own: G, other: F, balance: max(settings.eta, collapseGuard.balance[1]))
    textOptimizer.zeroGradients()
    model.text.backwardSparse(gradient)
    ranks?.sumGradients(of: model.text)
    textOptimizer.step()
    labelHead?.step(ranks: ranks)
    return ranks?.sum(loss) ?? loss
  }

  private func unitRows(of t: Tensor) -> Tensor {
    if let kept = unitRows, kept.of === t, kept.writes == t.writes { return kept.rows }
    let rows = CauchyLoss.normalised(t).0
    unitRows = (t, t.writes, rows)
    return rows
  }

  /// The loss of the batch `rows` and its gradient with respect to `u`, the outputs of the rows at
  /// positions `part` (all of them, or this rank's part); `balance` is the bit-balance weight η of
  /// the tower (the setting, or what the collapse guard switched on).
  func objective(_ u: Tensor, rows: [Int], part: Range<Int>, own: Tensor, other: Tensor, balance eta: Float) -> (BatchLoss, Tensor) {
    let mine = Array(rows[part])
    let s = target.matrix(labels.rows(mine))
    // A rank's part is averaged as the whole batch, with the whole batch's target weights.
    let batch = ranks.map { WholeBatch(rows: rows.count, similaritySum: $0.sum(WholeBatch.sum(s))) }
    let (similarity, gradient) = settings.loss == .cauchy
      ? CauchyLoss(gamma: settings.gamma).evaluate(u, unitRows: unitRows(of: other), similarity: s, whole: batch)
      : DCMHLoss().evaluate(u, other, similarity: s, whole: batch)
    let (quantization, gq) = Quantization.evaluate(u, codes: B.rows(mine), alpha: settings.alpha, rows: batch?.rows)
    gradient.add(gq)
    var total = quantization
    if settings.lambda > 0 {
      let (cauchy, gc) = Quantization.cauchy(u, gamma: settings.gamma, lambda: settings.lambda, rows: batch?.rows)
      gradient.add(gc)
      total += cauchy
    }
    if eta > 0 {
      let (balance, gb) = Quantization.balance(columnSums: Self.columnSums(own), batch: mine.count, eta: eta, rows: batch?.rows)
      gradient.add(gb)
      total += balance
    }
    var labelLoss: Float = 0
    if let labelHead {
      let (loss, gl) = labelHead.evaluate(u, labels: labels.rows(mine), rows: batch?.rows)
      gradient.add(gl)
      labelLoss = loss
    }
    if let pairWeights {
      let k = gradient.shape[1]
      for (r, row) in mine.enumerated() { for t in 0..<k { gradient.data[r * k + t] *= pairWeights[row] } }
    }
    return (BatchLoss(similarity: similarity, quantization: total, labels: labelLoss), gradient)
  }

  /// How many different sign patterns the rows of `m` have: each row's signs packed into 64-bit
  /// words (a set of arrays of Bool took an allocation and k hashes a row).
  public static func distinctSigns(_ m: Tensor) -> Int {
    let (n, k) = (m.shape[0], m.shape[1]), words = (k + 63) / 64
    var packed = [UInt64](repeating: 0, count: n * words)
    let x = UnsafePointer(m.data)
    for i in 0..<n { for t in 0..<k where x[i * k + t] >= 0 { packed[i * words + t / 64] |= 1 << UInt64(t % 64) } }
    if words == 1 { return Set(packed).count }
    return Set((0..<n).map { packed[$0 * words ..< ($0 + 1) * words] }).count
  }

  static func columnSums(_ m: Tensor) -> [Float] {
    let (n, k) = (m.shape[0], m.shape[1])
    var sums = [Float](repeating: 0, count: k)
    for i in 0..<n { for t in 0..<k { sums[t] += m.data[i * k + t] } }
    return sums
  }

  // MARK: Checkpoints

  /// The optimisers a checkpoint keeps, by name.
  var optimizers: [(String, Optimizer)] {
    [("image", imageOptimizer), ("text", textOptimizer)] + (labelHead.map { [("labels", $0.optimizer)] } ?? [])
      + (labelClassifier.map { [("label_epochs", $0.optimizer)] } ?? [])
  }

  /// The towers, the optimisers, F, G, B, the collapse guard's state and the label head.
  public var checkpointParts: CheckpointParts {
    CheckpointParts(model: model, optimizers: optimizers,
                    tensors: [("F", F), ("G", G), ("B", B)] + collapseGuard.tensors + (labelHead?.tensors ?? [])
                      + (labelClassifier?.tensors(prefix: "label_epochs.") ?? []), notes: collapseGuard.notes)
  }

  public func restore(tensors extra: [String: Tensor], notes: [String: String], from url: URL) throws {
    for (name, target) in [("F", F), ("G", G), ("B", B)] + (labelHead?.tensors ?? []) {
      guard let t = extra[name], t.shape == target.shape else {
        throw TrainingError(description: "\(url.path): the checkpoint's \(name) is missing or is for another training set (\(extra[name]?.shape ?? []) vs \(target.shape))")
      }
      target.assign(t)
    }
    if let labelClassifier, !labelClassifier.restore(extra, prefix: "label_epochs.") {
      throw TrainingError(description: "\(url.path): the checkpoint has no label-epoch classifier, or one for other labels or codes")
    }
    collapseGuard.restore(notes: notes, tensors: extra, towers: [imageNetwork, model.text])
  }
}
