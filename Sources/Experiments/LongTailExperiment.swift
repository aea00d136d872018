// LongTailExperiment: balanced against long-tailed training, and oversampling, re-weighting and
// diffusion augmentation against each other, on the shapes corpus or a corpus of one's own (`cmh
// experiment longtail`). The long-tailed runs train on a shapes corpus generated with long-tailed
// label frequencies (or the training split thinned, always so for one's own); all runs are measured on the balanced corpus's query and retrieval sets,
// over all queries and over those with a tail label. The oracle puts real pairs of the balanced
// corpus with the planned label sets in place of generated ones, through the same pipeline: the
// most that pipeline can win back.

import Augment
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Tensor
import Training

public struct LongTailExperiment {
  public enum Source: String, CaseIterable, Sendable { case generate, subsample }
  /// How augmentation trains: the whole model pre-trained on real and synthetic pairs, then trained
  /// on the real ones (the seed study's way); or the long-tailed model's hash head and text tower
  /// fine-tuned above its frozen backbone on synthetic backbone features.
  public enum Pipeline: String, CaseIterable, Sendable { case wholeModel = "whole-model", frozenBackbone = "frozen-backbone" }

  public var folder: URL
  /// A corpus of one's own (feature rows or images, with splits) in place of the shapes corpora:
  /// its training split is thinned (as `source` subsample) and its models take `cmh train`'s defaults.
  public var corpus: URL?
  public var imbalance = 48.0
  public var source = Source.generate
  public var pipeline = Pipeline.wholeModel
  /// Whole-model pipeline: how long pre-training and the training on real pairs after it run.
  public var schedule = PretrainingSchedule()
  /// The augmentations to run (all when nil): oversample, reweight, diffusion, oracle.
  public var settingsToRun: Set<String>?
  public var bits = [32, 64]
  /// Epochs of the full trainings (nil: the shapes recipe's, or `cmh train`'s default for the corpus).
  public var epochs: Int?
  /// At most this many synthetic pairs (nil: as many as real training pairs).
  public var maxSynthetic: Int?
  public var guidance: Float = 2
  /// Epochs on the synthetic pairs alone, then on synthetic and real pairs together, at this share of the rates.
  public var stages = (synthetic: 2, mixed: 4)
  public var finetuneRate: Float = 0.1
  public var pairs = 6000
  public var generatorIterations = PixelGeneratorSettings().diffusion.iterations
  public var seed: UInt64 = 1

  public init(folder: URL) { self.folder = folder }

  /// The names `settingsToRun` takes.
  public static let settingNames = ["oversample", "reweight", "diffusion", "oracle"]

  /// Whole-model pipeline: the pixel generator, with the experiment's iterations, guidance and seed.
  var pixelGenerator: PixelGeneratorSettings {
    var generator = PixelGeneratorSettings()
    (generator.diffusion.iterations, generator.diffusion.guidance, generator.diffusion.seed) = (generatorIterations, guidance, seed)
    return generator
  }

  /// Runs every code length; prints one line per result and the recovered shares.
  public func run(console output: Console) throws {
    let started = Date()
    let balanced = try corpus.map { try Corpus.load($0) }
      ?? ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus-\(pairs)"), pairs: pairs, seed: seed, console: output)
    let longTailed = source == .generate && corpus == nil
      ? try ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus-\(pairs)-lt\(imbalance)"), pairs: pairs, imbalance: imbalance, seed: seed + 1, console: output)
      : try LongTail.subsample(balanced, imbalance: imbalance, seed: seed)
    let labelCount = balanced.info.labels.count
    let profile = LongTailProfile(longTailed.splits!.train.map { longTailed.pairs[$0].labels }, labelCount: labelCount)
    let tailQueries = balanced.splits!.query.indices.filter { balanced.pairs[balanced.splits!.query[$0]].labels.contains { profile.tail.contains($0) } }
    output.text("long-tailed training split: \(longTailed.splits!.train.count) pairs (balanced: \(balanced.splits!.train.count)), "
        + String(format: "imbalance %.1f; tail labels %@; %d of %d queries have a tail label",
                 profile.imbalance, profile.tail.map { balanced.info.labels[$0] }.joined(separator: ", "), tailQueries.count, balanced.splits!.query.count))
    var rows = [(String, Int, Direction, String, Double)]()
    // The settings do not depend on the code length.
    let settings = self.settings(try spec(longTailed, bits: bits[0]), longTailed)
    let augmented = pipeline == .wholeModel ? try augmentations(balanced, longTailed, epochs: settings.epochs, console: output) : []
    for k in bits {
      let evaluate = { (name: String, model: CrossModalModel) throws in
        for (direction, reports) in try self.maps(model, balanced, tailQueries: tailQueries) {
          rows += zip(Self.subsets, reports).map { (name, k, direction, $0, $1.map) }
          Self.line(name, k, direction, reports, console: output)
        }
      }
      try evaluate("balanced", try train(balanced, name: "balanced", bits: k, settings: settings, console: output))
      let ltModelURL = folder.appendingPathComponent("longtail-\(k).cmh")
      try evaluate("longtail", try train(longTailed, name: "longtail", bits: k, settings: settings, console: output))
      switch pipeline {
      case .wholeModel:
        try wholeModel(longTailed, augmented: augmented, bits: k, settings: settings, console: output, evaluate: evaluate)
      case .frozenBackbone:
        try frozenBackbone(balanced, longTailed, model: ltModelURL, settings: settings, console: output, evaluate: evaluate)
      }
    }
    if !output.json { Self.summary(rows, console: output) }
    output.text(String(format: "done in %@", ProgressBar.clock(Date().timeIntervalSince(started))))
  }

  /// The training split balanced in the input space, once for every code length, each as an
  /// augmentation folder `cmh augment` would write: copies of real pairs with the planned label sets
  /// (oversampling), images the pixel generator renders for them (diffusion, with its time), and
  /// real pairs of the balanced corpus with them (the oracle).
  private func augmentations(_ balanced: Corpus, _ longTailed: Corpus, epochs: Int, console output: Console) throws -> [(String, InputPairs)] {
    let train = longTailed.splits!.train
    let plan = BalancePlanner.plan(train.map { longTailed.pairs[$0].labels }, labelCount: balanced.info.labels.count, limit: maxSynthetic ?? train.count,
                                   seed: pixelGenerator.diffusion.seed)
    var result = [(String, InputPairs)]()
    for method in AugmentMethod.allCases where settingsToRun?.contains(method.rawValue) ?? true {
      // resume: a generator stopped by Ctrl-C in an earlier run goes on, and one trained to the end
      // renders another plan without training again; one of another training is trained over.
      var augmentation = Augmentation(method: method, maxSynthetic: maxSynthetic, resume: .sameOrStartOver)
      augmentation.generator = pixelGenerator
      let folder = self.folder.appendingPathComponent("augment-\(method.rawValue)")
      // A folder made before for the same corpus, plan and generator is used again.
      if let (summary, pairs) = try? AugmentationFolder.read(folder, for: longTailed), summary.method == method.rawValue,
         summary.corpus == longTailed.directory.path, summary.syntheticPairs == plan.labelSets.count,
         summary.generator == (method == .diffusion ? pixelGenerator : nil) {
        output.note("\(method.rawValue): the pairs of \(folder.path), made so before")
        result.append((method.rawValue, pairs))
        continue
      }
      let bar = output.stages()
      let summary = try augmentation.run(longTailed, out: folder, progress: bar.update)
      bar.finish()
      if method == .diffusion, longTailed.imageFeatures != nil {
        output.text(String(format: "row generator: %d iterations, %d feature rows, %@", pixelGenerator.diffusion.iterations, summary.syntheticPairs,
                           ProgressBar.clock(summary.seconds ?? 0)))
      } else if method == .diffusion {
        output.text(String(format: "pixel generator: %d iterations at %d², %d images, %@ (contact sheet: %@)", pixelGenerator.diffusion.iterations, pixelGenerator.size,
                           summary.syntheticPairs, ProgressBar.clock(summary.seconds ?? 0), folder.appendingPathComponent("contact-sheet.html").path))
      }
      result.append((method.rawValue, try AugmentationFolder.read(folder, for: longTailed).pairs))
    }
    output.text("balance plan: \(plan.labelSets.count) synthetic pairs; the whole model trains \(schedule.pretrainEpochs ?? epochs) epochs on them with the real pairs"
                + (schedule.realEpochs > 0 ? ", then \(schedule.realEpochs) on the real pairs alone at \(schedule.realRate)× the rates" : ""))
    result.append(("oracle", InputPairs.copies(of: try oraclePairs(balanced, longTailed, plan: plan), in: balanced, prefix: "oracle")))
    return result
  }


  /// The seed study's way: each augmentation through whole-model pre-training, then training on
  /// the real pairs; re-weighting trains as many epochs on the real pairs, each weighed.
  private func wholeModel(_ longTailed: Corpus, augmented: [(String, InputPairs)], bits k: Int, settings: TrainingSettings, console output: Console,
                          evaluate: (String, CrossModalModel) throws -> Void) throws {
    let train = longTailed.splits!.train, labelCount = longTailed.info.labels.count
    let spec = try self.spec(longTailed, bits: k)
    for (name, pairs) in augmented where settingsToRun?.contains(name) ?? true {
      let out = folder.appendingPathComponent("\(name)-\(k).cmh")
      if let model = trainedBefore(out, spec: spec, record: schedule.record(settings, pairs: train.count + pairs.pairs.count, synthetic: pairs.pairs.count), name: name) {
        output.note("\(name) \(k) bits: the model of \(out.path), trained so before")
        try evaluate(name, model)
        continue
      }
      let session = RunSession(console: output, checkpoint: folder.appendingPathComponent("\(name)-\(k).ckpt"), log: nil)
      session.epochRowsAreProgress = true
      try evaluate(name, try session.trainAugmented(longTailed, adding: pairs, out: out, resume: false, schedule: schedule, spec: { spec }, settings: { _ in settings }))
    }
    guard settingsToRun?.contains("reweight") ?? true else { return }
    var weighted = settings
    weighted.epochs = (schedule.pretrainEpochs ?? settings.epochs) + schedule.realEpochs
    let weights = FeatureAugmentation.inverseFrequencyWeights(train.map { longTailed.pairs[$0].labels }, labelCount: labelCount)
    try evaluate("reweight", try self.train(longTailed, name: "reweight", bits: k, settings: weighted, weights: weights, console: output))
  }

  /// The frozen-backbone way: the long-tailed model's hash head and text tower fine-tuned on
  /// synthetic backbone features (oversampled, generated by diffusion, the oracle's), or re-weighted.
  private func frozenBackbone(_ balanced: Corpus, _ longTailed: Corpus, model: URL, settings: TrainingSettings, console output: Console,
                              evaluate: (String, CrossModalModel) throws -> Void) throws {
    let labelCount = balanced.info.labels.count
    let ltModel = try CrossModalModel.load(from: model)
    let real = try FeatureAugmentation.realPairs(ltModel, corpus: longTailed, pairs: longTailed.splits!.train)
    var diffusionPlan: BalancePlan?
    for method in [AugmentMethod.oversample, .diffusion] {
      var diffusion = DiffusionSettings()
      diffusion.guidance = guidance
      diffusion.seed = seed
      diffusion.iterations = generatorIterations
      let bar = output.stages()
      let (synthetic, plan) = try FeatureAugmentation.synthesize(real, labelCount: labelCount, method: method, settings: diffusion,
                                                             limit: maxSynthetic ?? real.count, progress: bar.update)
      bar.finish()
      if method == .diffusion {
        let short = plan.plannedCounts.enumerated().filter { $0.element < plan.target && plan.realCounts[$0.offset] > 0 }.count
        output.text("  balance plan: \(plan.labelSets.count) synthetic pairs towards \(plan.target) a label" + (short > 0 ? " (\(short) labels stay short: capped by --max-synthetic)" : ""))
      }
      if method == .diffusion { diffusionPlan = plan }
      let tuned = try CrossModalModel.load(from: model)
      try FeatureAugmentation.fineTune(tuned, real: real, synthetic: synthetic, method: method.rawValue, settings: settings,
                                       epochs: stages, rate: finetuneRate)
      try evaluate(method.rawValue, tuned)
    }
    let reweighted = try CrossModalModel.load(from: model)
    try FeatureAugmentation.reweight(reweighted, real: real, labelCount: labelCount, settings: settings, epochs: stages, rate: finetuneRate)
    try evaluate("reweight", reweighted)
    let oracle = try FeatureAugmentation.realPairs(ltModel, corpus: balanced, pairs: oraclePairs(balanced, longTailed, plan: diffusionPlan!))
    let tuned = try CrossModalModel.load(from: model)
    try FeatureAugmentation.fineTune(tuned, real: real, synthetic: oracle, method: "oracle", settings: settings, epochs: stages, rate: finetuneRate)
    try evaluate("oracle", tuned)
  }

  /// The model's spec on `corpus`: the shapes recipe's, or `cmh train`'s defaults for one's own corpus.
  func spec(_ corpus: Corpus, bits: Int) throws -> ModelSpec {
    self.corpus == nil ? try ShapesRecipe.spec(corpus, bits: bits) : try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: bits)
  }

  /// The trainings' settings, without label epochs (the augmentation's figures were measured so,
  /// docs/measurements.md): the shapes recipe's, or `cmh train`'s defaults for `spec` on `corpus`.
  func settings(_ spec: ModelSpec, _ corpus: Corpus) -> TrainingSettings {
    guard self.corpus != nil else { return ShapesRecipe.settings(epochs: epochs ?? ShapesRecipe.epochs, loss: .cauchy, seed: seed, labelEpochs: 0) }
    var base = TrainingSettings()
    base.seed = seed
    return TrainingDefaults.settings(for: spec, base: base, epochs: epochs, labelEpochs: 0, multiLabel: corpus.isMultiLabel, upright: corpus.info.upright)
  }

  /// Real pairs of the balanced corpus in place of generated ones: for each label set of `plan`, a
  /// training pair with that set, or where none has it, one that holds the set's rarest label (in
  /// the long-tailed split), drawn with the seed; with `--source subsample`, pairs the long-tailed
  /// split kept are left out.
  func oraclePairs(_ balanced: Corpus, _ longTailed: Corpus, plan: BalancePlan) throws -> [Int] {
    let kept = source == .subsample ? Set(longTailed.splits!.train) : []
    let pool = balanced.splits!.train.filter { !kept.contains($0) }
    let bySet = Dictionary(grouping: pool) { balanced.pairs[$0].labels.sorted() }
    var g = RandomGenerator(seed: seed &+ 0x0AC1E)
    return try plan.labelSets.map { set in
      let rarest = set.min { plan.realCounts[$0] < plan.realCounts[$1] }!
      let choices = bySet[set.sorted()] ?? pool.filter { balanced.pairs[$0].labels.contains(rarest) }
      guard !choices.isEmpty else { throw ExperimentError("the balanced corpus has no training pair with \(balanced.info.labels[rarest]) for the oracle") }
      return choices[g.nextInt(below: choices.count)]
    }
  }

  /// The model at `url` when it has `spec` and `record` and is newer than the augmentation folder
  /// of `name` (a folder made again means a model trained again).
  private func trainedBefore(_ url: URL, spec: ModelSpec, record: (settings: TrainingSettings, augmentation: String), name: String) -> CrossModalModel? {
    let date = { (u: URL) in (try? FileManager.default.attributesOfItem(atPath: u.path)[.modificationDate] as? Date) ?? nil }
    let made = date(folder.appendingPathComponent("augment-\(name)/augmentation.json")) ?? .distantPast
    // A trained model's spec names the image views its settings gave (TrainingRun).
    guard let saved = date(url), saved > made, let model = try? CrossModalModel.load(from: url), model.spec == TrainingDefaults.withImageViews(spec, record.settings),
          model.record?.settings == record.settings, model.record?.augmentation == record.augmentation else { return nil }
    return model
  }

  /// The model of `name` (balanced, longtail, reweight) at `bits`: the one this folder holds when
  /// it was trained with the same spec and settings (a rerun with other augmentation options reuses
  /// it), else trained (each pair's gradient weighed by `weights`) and saved.
  private func train(_ corpus: Corpus, name: String, bits: Int, settings: TrainingSettings, weights: [Float]? = nil,
                     console output: Console) throws -> CrossModalModel {
    let url = folder.appendingPathComponent("\(name)-\(bits).cmh"), spec = try self.spec(corpus, bits: bits)
    if let model = try? CrossModalModel.load(from: url), model.spec == TrainingDefaults.withImageViews(spec, settings), model.record?.settings == settings,
       model.record?.corpus.hasSuffix("(\(corpus.directory.path))") ?? false {
      output.note("\(name) \(bits) bits: the model of \(url.path), trained so before")
      return model
    }
    let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
    run.trainer.pairWeights = weights
    let bar = output.progress(total: settings.epochs, label: "\(name) \(bits) bits")
    run.loop.run(epochs: settings.epochs, onEpoch: { bar.update($0.epoch) })
    bar.finish()
    let model = run.finishedModel()
    try model.save(to: url)
    return model
  }

  /// MAP over all queries and over the tail-label queries, in both directions.
  /// The query subsets results are given for: all, those with a tail label, and the others (head).
  static let subsets = ["all", "tail", "head"]

  /// MAP@all and NDCG@100 over each subset of the queries (`subsets`), in both directions.
  private func maps(_ model: CrossModalModel, _ corpus: Corpus, tailQueries: [Int]) throws -> [(Direction, [RetrievalReport])] {
    let q = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: corpus.splits!.query)
    let r = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: corpus.splits!.retrieval)
    let rare = Set(tailQueries), head = corpus.splits!.query.indices.filter { !rare.contains($0) }
    let options = EvaluationOptions(ndcgAtK: 100)
    let reports = [q, q.subset(tailQueries), q.subset(head)].map {
      CrossModalEvaluation.evaluate(queries: $0, retrieval: r, directions: [.i2t, .t2i], options: options)
    }
    return [Direction.i2t, .t2i].enumerated().map { d, direction in (direction, reports.map { $0[d].1 }) }
  }

  private static func line(_ setting: String, _ bits: Int, _ direction: Direction, _ reports: [RetrievalReport], console output: Console) {
    if output.json {
      for (subset, report) in zip(subsets, reports) {
        output.record(JSONLine([("setting", .string(setting)), ("direction", .string(direction.rawValue)), ("bits", .int(bits)), ("subset", .string(subset)),
                                ("map", .number(report.map, places: 4)), ("ndcg_at_k", .number(report.ndcg ?? 0, places: 4))]))
      }
    } else {
      let (all, tail, head) = (reports[0], reports[1], reports[2])
      output.result(String(format: "  %-10@ %3d bits  %@  MAP all %.4f  tail %.4f  head %.4f   NDCG@100 all %.4f  tail %.4f  head %.4f", setting, bits,
                           direction.rawValue, all.map, tail.map, head.map, all.ndcg ?? 0, tail.ndcg ?? 0, head.ndcg ?? 0))
    }
  }

  /// The share of the MAP lost to the long tail that each augmentation wins back.
  private static func summary(_ rows: [(String, Int, Direction, String, Double)], console output: Console) {
    output.result("\nrecovered share of the MAP lost to the long tail ((augmented − long-tailed) / (balanced − long-tailed)):")
    for k in Set(rows.map(\.1)).sorted() {
      for d in [Direction.i2t, .t2i] {
        for subset in subsets {
          let value = { (s: String) in rows.first { $0.0 == s && $0.1 == k && $0.2 == d && $0.3 == subset }?.4 }
          let lost = (value("balanced") ?? 0) - (value("longtail") ?? 0)
          let shares = ["oversample", "reweight", "diffusion", "oracle"].compactMap { name in
            value(name).map { String(format: "   %@ %@", name, lost > 1e-9 ? String(format: "%5.0f%%", 100 * ($0 - value("longtail")!) / lost) : "  n/a") }
          }
          output.result(String(format: "  %3d bits %@ %-4@  lost %.4f", k, d.rawValue, subset, lost) + shares.joined())
        }
      }
    }
  }
}
