// Distiller: trains a small query model against a gallery model that does not change. Per epoch,
// the image tower, then the text tower, batch by batch: each item's context (its nearest gallery
// codes, then random ones) is scored by the student's and by the teacher's output, and the student
// learns the teacher's softmax over it (ContextualSimilarity), with the optional first-order and
// the quantization terms. No labels are used. The epochs, batches and checkpoints are an
// AlternatingLoop's.

import CauchyLoss
import Foundation
import Model
import Tensor
import Training

public final class Distiller: AlternatingSteps {
  public let student: CrossModalModel
  public let settings: DistillationSettings
  public let gallery: GalleryContext
  let images: ImageInputs, texts: TextInputs
  /// The teacher's outputs for the training items, per tower [n, k].
  let teacher: [Tensor]
  /// The student's latest outputs for the training items, per tower (refreshed batch by batch).
  public private(set) var outputs: [Tensor]
  let optimizers: [RMSprop]
  let loss: ContextualSimilarity
  public let count: Int
  public let startingGenerator: RandomGenerator
  /// Per tower: fewer distinct student codes than this is a collapse (half the gallery model's
  /// distinct codes of the training items, at most 16, at least 2: the training loop's floor).
  let collapseFloor: [Int]
  /// The ranks of an MPI job that share each batch (nil: this process computes whole batches).
  let ranks: DataParallel?
  /// Whether each tower (image, text) reads the whole batch's rows: its first pair is split by units.
  private var readsWholeBatch = [false, false]

  /// Loss terms of a batch: the contextual KL, and the first-order plus quantization terms.
  public struct BatchLoss: LossTerms {
    public var contextual: Float, other: Float

    public static var zero: BatchLoss { BatchLoss(contextual: 0, other: 0) }
    public mutating func add(_ other: BatchLoss, weight: Float) {
      contextual += other.contextual * weight
      self.other += other.other * weight
    }
  }

  public struct EpochReport: Sendable {
    public var epoch: Int
    public var image: BatchLoss, text: BatchLoss
    public var seconds: Double
    public var imageLearningRate: Float, textLearningRate: Float
    public var distinctImageCodes: Int, distinctTextCodes: Int
    /// Share of the teacher's 10 nearest gallery codes that the student's codes also rank in their 10 nearest.
    public var imageAgreement: Double, textAgreement: Double
    /// A tower whose codes collapsed, one line each (empty: none).
    public var collapseNotes: [String] = []
  }

  public init(student: CrossModalModel, settings: DistillationSettings, images: ImageInputs, texts: TextInputs,
              teacherImage: Tensor, teacherText: Tensor, ranks: DataParallel? = nil) {
    precondition(images.count == texts.count && texts.count == teacherImage.shape[0] && teacherImage.shape == teacherText.shape && images.count > 0,
                 "Distiller: \(images.count) images, \(texts.count) texts, teacher outputs \(teacherImage.shape) and \(teacherText.shape)")
    self.student = student
    self.settings = settings
    self.images = images
    self.texts = texts
    count = images.count
    teacher = [teacherImage, teacherText]
    collapseFloor = teacher.map { max(2, min(Trainer.distinctSigns($0), 32) / 2) }
    gallery = GalleryContext(imageOutputs: teacherImage, textOutputs: teacherText, neighbours: settings.neighbours)
    outputs = [Tensor(zeros: teacherImage.shape), Tensor(zeros: teacherText.shape)]
    optimizers = [RMSprop(groups: [ParameterGroup(student.image.namedParameters(), learningRate: settings.imageLearningRate)]),
                  RMSprop(groups: [ParameterGroup(student.text.namedParameters(), learningRate: settings.textLearningRate)])]
    loss = ContextualSimilarity(studentTemperature: settings.studentTemperature, teacherTemperature: settings.teacherTemperature)
    startingGenerator = RandomGenerator(seed: settings.seed &+ 0xD157)
    self.ranks = ranks
    ranks?.synchroniseBatchNorm([student.image, student.text])
    ranks?.shareFirstPairs([student.image, student.text], batchSize: settings.batchSize)
    readsWholeBatch = [student.image.trainsOnWholeBatch, student.text.trainsOnWholeBatch]
    ranks?.gatherLinearLayers([student.image, student.text], batchSize: settings.batchSize)
  }

  public var batchSize: Int { settings.batchSize }

  // MARK: The steps

  /// Refreshes the contexts when it is time, then sets the rates.
  public func beginEpoch(_ epoch: Int, orders: [[Int]]) {
    if settings.refreshEvery > 0 && epoch > 0 && epoch % settings.refreshEvery == 0 {
      for t in 0..<2 { gallery.refresh(tower: t, studentOutputs: evaluationOutputs(tower: t)) }
    }
    images.announce(orders[0])
    let schedule = StepSchedule(stepSize: settings.halveEvery, gamma: 0.5)
    for optimizer in optimizers { optimizer.applySchedule(schedule, epoch: epoch) }
  }

  public func resumeEpoch(_ epoch: Int, orders: [[Int]]) { images.announce(orders[0]) }

  public func step(_ phase: Phase, rows: [Int], generator: inout RandomGenerator) -> BatchLoss {
    step(tower: phase.rawValue, rows: rows, generator: &generator)
  }

  public func settle(optimizerState: Bool) { ranks?.settle(optimizers, state: optimizerState) }

  public func endEpoch(_ epoch: Int, losses: [BatchLoss], seconds: Double) -> EpochReport {
    ranks?.checkSameParameters([student.image, student.text], after: epoch)
    let distinct = outputs.map(Trainer.distinctSigns)
    var report = EpochReport(epoch: epoch, image: losses[0], text: losses[1], seconds: seconds,
                             imageLearningRate: optimizers[0].groups[0].learningRate, textLearningRate: optimizers[1].groups[0].learningRate,
                             distinctImageCodes: distinct[0], distinctTextCodes: distinct[1],
                             imageAgreement: gallery.agreement(tower: 0, studentOutputs: outputs[0]),
                             textAgreement: gallery.agreement(tower: 1, studentOutputs: outputs[1]))
    report.collapseNotes = Self.collapseNotes(distinct: distinct, floor: collapseFloor, rates: [settings.imageLearningRate, settings.textLearningRate])
    return report
  }

  /// One line per tower with fewer distinct codes than its floor, and what to try.
  static func collapseNotes(distinct: [Int], floor: [Int], rates: [Float]) -> [String] {
    ["image", "text"].enumerated().filter { distinct[$0.offset] < floor[$0.offset] }.map { t, name in
      "\(name) codes collapsed (\(distinct[t]) distinct, fewer than \(floor[t])): this small model will not tell the gallery apart; "
        + "try --\(name)-lr \(String(format: "%g", rates[t] / 10))"
    }
  }


  private func step(tower: Int, rows: [Int], generator: inout RandomGenerator) -> BatchLoss {
    let network: Module = tower == 0 ? student.image : student.text
    let part = ranks?.share(rows.count) ?? rows.indices, mine = Array(rows[part])
    network.setTraining(true)
    let read = readsWholeBatch[tower] ? rows : mine
    let u = tower == 0 ? student.image.forward(images.batch(read)) : student.text.forward(sparse: texts.batch(read))
    outputs[tower].setRows(rows, ranks?.gather(u) ?? u)
    let extra = rows.map { _ in (0..<settings.negatives).map { _ in generator.nextInt(below: gallery.count) } }
    let whole = part.count < rows.count ? rows.count : nil
    let (loss, gradient) = objective(u, teacher: teacher[tower].rows(mine), context: gallery.batch(tower: tower, rows: mine, extra: Array(extra[part])), rows: whole)
    optimizers[tower].zeroGradients()
    if tower == 0 { _ = student.image.backward(gradient) } else { student.text.backwardSparse(gradient) }
    ranks?.sumGradients(of: network)
    optimizers[tower].step()
    guard let ranks else { return loss }
    let terms = ranks.sum([loss.contextual, loss.other])
    return BatchLoss(contextual: terms[0], other: terms[1])
  }

  /// The batch's loss terms and their gradient for the student outputs `u`; `rows`: the whole
  /// batch's row count when `u` is one rank's part of it.
  func objective(_ u: Tensor, teacher t: Tensor, context: Tensor, rows: Int? = nil) -> (BatchLoss, Tensor) {
    let gradient = Tensor(zeros: u.shape)
    var result = BatchLoss(contextual: 0, other: 0)
    if settings.contextual > 0 {
      let (l, g) = loss.evaluate(u, teacher: t, context: context, rows: rows)
      result.contextual = settings.contextual * l
      for i in 0..<g.count { g.data[i] *= settings.contextual }
      gradient.add(g)
    }
    if settings.firstOrder > 0 {
      let (l, g) = ContextualSimilarity.firstOrder(u, teacher: t, weight: settings.firstOrder, rows: rows)
      result.other += l
      gradient.add(g)
    }
    if settings.alpha > 0 {
      let signs = Tensor(shape: u.shape, values: (0..<u.count).map { u.data[$0] >= 0 ? 1 : -1 })
      let (l, g) = Quantization.evaluate(u, codes: signs, alpha: settings.alpha, rows: rows)
      result.other += l
      gradient.add(g)
    }
    return (result, gradient)
  }

  /// The student's outputs for every training item in evaluation mode (for a context refresh).
  func evaluationOutputs(tower: Int) -> Tensor {
    tower == 0 ? student.imageOutputs(images) : student.textOutputs(texts)
  }

  // MARK: Checkpoints

  /// The student, both optimisers, the contexts and the outputs.
  public var checkpointParts: CheckpointParts {
    CheckpointParts(model: student, optimizers: [("image", optimizers[0]), ("text", optimizers[1])],
                    tensors: gallery.tensors + [("outputs.0", outputs[0]), ("outputs.1", outputs[1])], notes: [:])
  }

  public func restore(tensors extra: [String: Tensor], notes: [String: String], from url: URL) throws {
    guard gallery.restore(extra) else {
      throw TrainingError(description: "\(url.path): the checkpoint's gallery contexts are missing or are for another training set")
    }
    for t in 0..<2 {
      guard let saved = extra["outputs.\(t)"], saved.shape == outputs[t].shape else {
        throw TrainingError(description: "\(url.path): the checkpoint's student outputs are missing or are for another training set")
      }
      outputs[t].assign(saved)
    }
  }
}
