// AlternatingLoop: the one epoch loop of every run that alternates between the towers — training
// (θx, θy, then B), distillation, augmentation fine-tuning. Per epoch two phases, image then text,
// each over its own random order of the n items in batches; the loop keeps where it stands
// (epoch, phase, batch, the generator and the one the epoch began with), stops between any two
// batches when asked, and a checkpoint of that position resumes to exactly the run that was not
// interrupted. What a batch and an epoch do is the `AlternatingSteps` it drives.

import Foundation
import Model
import Tensor

/// The loss terms of a batch, summed over an epoch weighted by batch size.
public protocol LossTerms: Sendable {
  static var zero: Self { get }
  /// self += weight · other, term by term.
  mutating func add(_ other: Self, weight: Float)
}

/// The two towers' phases of an epoch.
public enum Phase: Int, Sendable { case image, text }

/// What a checkpoint keeps of a run besides its position.
public struct CheckpointParts {
  public var model: Module
  public var optimizers: [(String, Optimizer)]
  public var tensors: [(String, Tensor)]
  public var notes: [String: String]

  public init(model: Module, optimizers: [(String, Optimizer)], tensors: [(String, Tensor)], notes: [String: String]) {
    (self.model, self.optimizers, self.tensors, self.notes) = (model, optimizers, tensors, notes)
  }
}

/// What an AlternatingLoop drives.
public protocol AlternatingSteps: AnyObject {
  associatedtype Loss: LossTerms
  associatedtype Report
  var count: Int { get }
  var batchSize: Int { get }
  /// The generator as the steps were made (after any draws of their own), which the loop continues.
  var startingGenerator: RandomGenerator { get }
  /// Before the first batch of epoch `epoch` (0-based): set the rates, refresh what the epoch uses.
  func beginEpoch(_ epoch: Int, orders: [[Int]])
  /// The orders of epoch `epoch` (0-based), which a checkpoint resumes in the middle of.
  func resumeEpoch(_ epoch: Int, orders: [[Int]])
  /// One batch of `phase`; draws what it needs (flips) from `generator`.
  func step(_ phase: Phase, rows: [Int], generator: inout RandomGenerator) -> Loss
  /// After both phases of epoch `epoch` (1-based): the epoch's report; `losses` are the phases' means.
  func endEpoch(_ epoch: Int, losses: [Loss], seconds: Double) -> Report
  /// Makes whole on every rank what the ranks of a data-parallel run update apart: the shared
  /// layers' weights (the loop calls it after each epoch) and, with `optimizerState`, the
  /// optimiser's state of them, which only a checkpoint reads (before one; when the loop stops early).
  func settle(optimizerState: Bool)
  var checkpointParts: CheckpointParts { get }
  /// Takes back a checkpoint's tensors and notes; `url` names the file in errors.
  func restore(tensors: [String: Tensor], notes: [String: String], from url: URL) throws
}

public final class AlternatingLoop<Steps: AlternatingSteps> {
  public let steps: Steps
  /// Completed epochs.
  public private(set) var epoch = 0
  private var phase = 0, nextBatch = 0
  private var generator: RandomGenerator, epochStart: RandomGenerator
  private var orders: [[Int]] = []

  public init(_ steps: Steps) {
    self.steps = steps
    generator = steps.startingGenerator
    epochStart = generator
  }

  private var count: Int { steps.count }
  private var batchCount: Int { (count + steps.batchSize - 1) / steps.batchSize }

  /// Runs until `epochs` epochs are complete or `shouldStop()` says so between batches (then it
  /// returns false, and the position is where a checkpoint resumes). `onBatch(phase, done, loss)`
  /// reports items done in the phase; `onEpoch` each finished epoch.
  @discardableResult
  public func run(epochs: Int, shouldStop: () -> Bool = { false }, onBatch: (Phase, Int, Steps.Loss) -> Void = { _, _, _ in },
                  onEpoch: (Steps.Report) -> Void = { _ in }) -> Bool {
    while epoch < epochs {
      if phase == 0 && nextBatch == 0 {
        epochStart = generator
        orders = [generator.permutation(count), generator.permutation(count)]
        steps.beginEpoch(epoch, orders: orders)
      }
      let started = Date()
      var sums = [Steps.Loss.zero, Steps.Loss.zero]
      while phase < 2 {
        let current = Phase(rawValue: phase)!
        while nextBatch < batchCount {
          if shouldStop() {
            steps.settle(optimizerState: true)
            return false
          }
          let rows = Array(orders[phase][(nextBatch * steps.batchSize)..<min((nextBatch + 1) * steps.batchSize, count)])
          let loss = steps.step(current, rows: rows, generator: &generator)
          sums[phase].add(loss, weight: Float(rows.count) / Float(count))
          nextBatch += 1
          onBatch(current, min(nextBatch * steps.batchSize, count), loss)
        }
        phase += 1
        nextBatch = 0
      }
      epoch += 1
      phase = 0
      steps.settle(optimizerState: false)
      onEpoch(steps.endEpoch(epoch, losses: sums, seconds: Date().timeIntervalSince(started)))
    }
    return true
  }

  // MARK: Checkpoints

  /// Saves the steps' parts and the position; `notes` (the run's own) win over the steps'.
  public func saveCheckpoint(to url: URL, notes: [String: String] = [:]) throws {
    let parts = steps.checkpointParts
    var all = notes.merging(parts.notes) { a, _ in a }
    all["phase"] = String(phase)
    let position = TrainingPosition(epoch: epoch, step: nextBatch, generators: ["current": generator, "epoch_start": epochStart], notes: all)
    try Checkpoint.save(to: url, model: parts.model, optimizers: parts.optimizers, position: position, extra: parts.tensors)
  }

  /// Restores a checkpoint written by `saveCheckpoint` for these steps.
  public func resume(from url: URL) throws {
    let parts = steps.checkpointParts
    let (position, extra) = try Checkpoint.load(from: url, into: parts.model, optimizers: parts.optimizers)
    try steps.restore(tensors: extra, notes: position.notes, from: url)
    try restore(position, from: url)
  }

  private func restore(_ position: TrainingPosition, from url: URL) throws {
    guard let current = position.generator("current"), let start = position.generator("epoch_start") else {
      throw TrainingError(description: "\(url.path): the checkpoint has no run position; was it written by this kind of run?")
    }
    // A position outside the run would skip batches or a whole phase without a word.
    guard let phase = Int(position.notes["phase"] ?? "0"), (0...1).contains(phase), (0...batchCount).contains(position.step), position.epoch >= 0 else {
      throw TrainingError(description: "\(url.path): the checkpoint's position (epoch \(position.epoch), phase \(position.notes["phase"] ?? "?"), batch \(position.step)) "
                            + "is outside this run (2 phases of \(batchCount) batches an epoch)")
    }
    epoch = position.epoch
    self.phase = phase
    nextBatch = position.step
    epochStart = start
    generator = current
    if phase > 0 || nextBatch > 0 {
      var g = start
      orders = [g.permutation(count), g.permutation(count)]
      steps.resumeEpoch(epoch, orders: orders)
    }
  }
}
