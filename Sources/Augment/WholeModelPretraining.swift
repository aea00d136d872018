// WholeModelPretraining: the seed study's schedule for synthetic pairs, under a RunSession (`cmh
// train --augment`, `cmh experiment longtail`). The whole model — every layer of both towers, and
// the codes B — is pre-trained on the augmented corpus (the real training pairs with the synthetic
// ones that balance their labels), then trained on the real training pairs alone from those
// weights. Each stage is an ordinary run of the one training loop with its own checkpoint and log
// (OUT.pretrain.ckpt, OUT.pretrain.log.jsonl; then OUT.ckpt, OUT.log.jsonl), so Ctrl-C and --resume
// work in either; the augmented corpus is a folder beside the model (OUT.pretraining/) while it runs.

import Corpus
import Foundation
import Model
import Platform
import Training

/// How long each stage trains. By default the real pairs get no epochs of their own after
/// pre-training: on the long-tailed shapes corpus even 2 epochs at a tenth of the rates gave back a
/// third of what pre-training with the oracle's pairs had won, 15 at the full rates nearly all of it
/// (docs/measurements.md).
public struct PretrainingSchedule: Sendable, Equatable {
  /// Epochs on the real and synthetic pairs, after the settings' label epochs (nil: the settings' epochs).
  public var pretrainEpochs: Int?
  /// Epochs on the real pairs alone after pre-training.
  public var realEpochs = 0
  /// Their learning rates, as a share of the settings'.
  public var realRate: Float = 0.1

  public init(pretrainEpochs: Int? = nil, realEpochs: Int = 0, realRate: Float = 0.1) {
    (self.pretrainEpochs, self.realEpochs, self.realRate) = (pretrainEpochs, realEpochs, realRate)
  }

  /// What the record of a model trained so from `settings` holds: the settings of its last stage,
  /// and how it was trained, on `pairs` training pairs of which `synthetic` were added.
  public func record(_ settings: TrainingSettings, pairs: Int, synthetic: Int) -> (settings: TrainingSettings, augmentation: String) {
    var last = realEpochs > 0 ? FeatureAugmentation.tuned(settings, rate: realRate) : settings  // tuned: no label epochs again
    last.epochs = realEpochs > 0 ? realEpochs : pretrainEpochs ?? settings.epochs
    let text = "whole model pre-trained " + (settings.labelEpochs > 0 ? "\(settings.labelEpochs) label epochs and " : "")
      + "\(pretrainEpochs ?? settings.epochs) epochs on \(pairs) pairs (\(synthetic) synthetic)"
      + (realEpochs > 0 ? ", then trained \(realEpochs) on the real pairs at \(realRate)× the rates" : "")
    return (last, text)
  }
}

extension RunSession {
  /// Trains the model `out` on `corpus` with the synthetic pairs `added`: pre-training on the real
  /// and synthetic training pairs (the label epochs of the settings first, which thus see the
  /// balanced pairs), then, if `schedule` gives them epochs, training on the real ones alone.
  /// `resume` continues whichever stage was interrupted.
  @discardableResult
  public func trainAugmented(_ corpus: Corpus, adding added: InputPairs, out: URL, resume: Bool, schedule: PretrainingSchedule,
                             spec makeSpec: () throws -> ModelSpec, settings makeSettings: (ModelSpec) -> TrainingSettings) throws -> CrossModalModel {
    let base = out.deletingPathExtension().path, pretrained = URL(fileURLWithPath: base + ".pretrained.cmh")
    let folder = URL(fileURLWithPath: base + ".pretraining")
    let first = RunSession(console: console, checkpoint: URL(fileURLWithPath: base + ".pretrain.ckpt"), log: log.map { _ in URL(fileURLWithPath: base + ".pretrain.log.jsonl") })
    (first.stage, stage, first.epochRowsAreProgress, first.plan) = ("pre-training", "training", epochRowsAreProgress, plan)
    let augmented = try AugmentedCorpus.make(corpus, adding: added, in: folder)
    let spec = try makeSpec(), settings = makeSettings(spec), pretrainEpochs = schedule.pretrainEpochs ?? settings.epochs
    if !(resume && FileManager.default.fileExists(atPath: pretrained.path)) {
      console.note("pre-training the whole model on \(augmented.splits!.train.count) pairs (\(added.pairs.count) synthetic) for "
                   + (settings.labelEpochs > 0 ? "\(settings.labelEpochs) label epochs and " : "") + "\(pretrainEpochs) epochs")
      var pre = settings
      pre.epochs = pretrainEpochs
      try first.trainModel(augmented, out: pretrained, resume: resume && FileManager.default.fileExists(atPath: first.checkpoint.path),
                           spec: { spec }, settings: { _ in pre })
    }
    let resuming = resume && FileManager.default.fileExists(atPath: checkpoint.path)
    let record = schedule.record(settings, pairs: augmented.splits!.train.count, synthetic: added.pairs.count)
    let after = record.settings  // when there are real epochs: theirs, without label epochs (behind it, in pre-training)
    let model: CrossModalModel
    if schedule.realEpochs > 0 {
      console.note("training on the \(corpus.splits!.train.count) real pairs for \(after.epochs) epochs at \(schedule.realRate)× the learning rates")
      let run = try trainModel(corpus, out: out, resume: resuming, spec: { spec }, settings: { _ in after },
                               start: resuming ? nil : try CrossModalModel.load(from: pretrained))
      guard writesFiles else { return run.model }
      model = run.finishedModel()
    } else {
      model = try CrossModalModel.load(from: pretrained)
      guard writesFiles else { return model }
      model.record?.trainingPairs = corpus.splits!.train.count
    }
    model.record?.syntheticPairs = added.pairs.count
    model.record?.epochsDone = settings.labelEpochs + pretrainEpochs + schedule.realEpochs
    (model.record!.settings, model.record!.augmentation) = record
    try model.save(to: out)
    for url in [pretrained, first.checkpoint, folder] { try? FileManager.default.removeItem(at: url) }
    console.note("wrote \(out.path)")
    return model
  }
}
