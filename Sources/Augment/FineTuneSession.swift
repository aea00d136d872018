// FineTuneSession: an augmentation folder's model fine-tuned under a RunSession (`cmh train
// --augment`): on its synthetic pairs alone, then on them with the corpus's training pairs, one
// table row per epoch with the stage's name.

import Corpus
import Foundation
import Model
import Platform
import Training

extension RunSession {
  /// Fine-tunes the model of `folder` with the settings it was trained with (`fallback` when it
  /// has no record); `epochs` per stage, at `rate` times its learning rates.
  public func fineTune(_ corpus: Corpus, folder: URL, settings fallback: TrainingSettings, epochs: (synthetic: Int, mixed: Int),
                       rate: Float) throws -> CrossModalModel {
    let (set, model) = try AugmentationSet.read(from: folder)
    guard set.summary.labels == corpus.info.labels else {
      throw TrainingError(description: "\(folder.path): made for labels \(set.summary.labels.joined(separator: ", ")); \(corpus.directory.path) has \(corpus.info.labels.joined(separator: ", "))")
    }
    let train = try corpus.requireSplits().train
    let bar = console.stages()
    let real = try FeatureAugmentation.realPairs(model, corpus: corpus, pairs: train, progress: bar.update)
    bar.finish()
    let synthetic = set.pairs
    console.note("fine-tuning the \(model.spec.bits)-bit model of \(folder.path) (\(set.summary.method)): \(epochs.synthetic) epochs on \(synthetic.count) "
                 + "synthetic pairs, then \(epochs.mixed) on them with \(real.count) real pairs")
    header(Trainer.EpochReport.self)
    try FeatureAugmentation.fineTune(model, real: real, synthetic: synthetic, method: set.summary.method, settings: model.record?.settings ?? fallback,
                                     epochs: epochs, rate: rate) { stage, report in
      if report.epoch == 1 { console.text(stage == "synthetic" ? "synthetic pairs alone:" : "synthetic and real pairs:") }
      row(report, items: stage == "synthetic" ? synthetic.count : real.count + synthetic.count, extra: [("stage", .string(stage))])
    }
    return model
  }
}
