// cmh experiment longtail: what the long tail costs and what augmentation wins back, on the built-in
// corpus made long-tailed — MAP in both directions, over all queries and over queries with a tail
// label, for balanced training, long-tailed training, long-tailed + oversampling and long-tailed +
// diffusion augmentation, at each code length.

import ArgumentParser
import Augment
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Tensor
import Training

struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract: "Reproducible experiments.",
    subcommands: [TableExperiment.self, LongTailExperiment.self, CeilingExperiment.self])
}

enum LongTailSource: String, ExpressibleByArgument, CaseIterable { case generate, subsample }

struct LongTailExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "longtail",
    abstract: "Balanced vs long-tailed training, and oversampling vs diffusion augmentation, on the shapes corpus.",
    discussion: """
      The long-tailed runs train on a shapes corpus generated with long-tailed label frequencies (or, with \
      --source subsample, on the training split thinned by `cmh corpus longtail`); all runs are measured on the \
      balanced corpus's query and retrieval sets. Oversampling and \
      diffusion then start from the long-tailed model, keep its image backbone, and train the hash head and \
      the text tower first on the synthetic pairs alone, then on synthetic and real pairs together.

      Example: cmh experiment longtail --dir /tmp/longtail --bits 64
      """)

  @Option(help: "Working directory (corpus, models).") var dir = "cmh-longtail"
  @Option(help: "Head/tail ratio to aim for.") var imbalance = 48.0
  @Option(help: "generate: a corpus generated long-tailed, as large as the balanced one; subsample: the balanced corpus's training split thinned (`cmh corpus longtail`).")
  var source = LongTailSource.generate
  @Option(help: "Code lengths, comma-separated.") var bits = "32,64"
  @Option(help: "Epochs of the full trainings.") var epochs = ShapesRecipe.epochs
  @Option(help: "At most this many synthetic pairs (default: as many as real training pairs).") var maxSynthetic: Int?
  @Option(help: "Classifier-free guidance scale of the generator.") var guidance: Float = 2
  @OptionGroup var fineTuning: FineTuneOptions
  @Option(help: "Pairs of the generated corpus (a tenth are queries, half of the rest train).") var pairs = 6000
  @Option(help: "Iterations of the generator's training.") var generatorIterations = 3000
  @Option(help: "Seed.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func run() throws {
    Console.lineBuffered()
    let started = Date()
    let folder = URL(fileURLWithPath: dir)
    let balanced = try ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus-\(pairs)"), pairs: pairs, seed: seed, quiet: output.quiet)
    let longTailed = source == .generate
      ? try ShapesRecipe.corpus(in: folder.appendingPathComponent("corpus-\(pairs)-lt\(imbalance)"), pairs: pairs, imbalance: imbalance, seed: seed + 1, quiet: output.quiet)
      : try LongTail.subsample(balanced, imbalance: imbalance, seed: seed)
    let labelCount = balanced.info.labels.count
    let profile = LongTailProfile(longTailed.splits!.train.map { longTailed.pairs[$0].labels }, labelCount: labelCount)
    let tailQueries = balanced.splits!.query.indices.filter { balanced.pairs[balanced.splits!.query[$0]].labels.contains { profile.tail.contains($0) } }
    say("long-tailed training split: \(longTailed.splits!.train.count) pairs (balanced: \(balanced.splits!.train.count)), "
        + String(format: "imbalance %.1f; tail labels %@; %d of %d queries have a tail label",
                 profile.imbalance, profile.tail.map { balanced.info.labels[$0] }.joined(separator: ", "), tailQueries.count, balanced.splits!.query.count))
    let stages = try fineTuning.stages()
    var rows = [(String, Int, Direction, String, Double)]()
    for k in try ModelOptions.sizes(bits, "--bits") {
      let settings = ShapesRecipe.settings(epochs: epochs, loss: .cauchy, seed: seed)
      let evaluate = { (name: String, model: CrossModalModel) throws in
        for (direction, all, tail) in try self.maps(model, balanced, tailQueries: tailQueries) {
          rows += [(name, k, direction, "all", all), (name, k, direction, "tail", tail)]
          self.line(name, k, direction, all, tail)
        }
      }
      try evaluate("balanced", try train(balanced, bits: k, settings: settings, label: "balanced \(k) bits"))
      let ltModelURL = folder.appendingPathComponent("longtail-\(k).cmh")
      let ltModel = try train(longTailed, bits: k, settings: settings, label: "long-tailed \(k) bits")
      try ltModel.save(to: ltModelURL)
      try evaluate("longtail", ltModel)
      let real = try FeatureAugmentation.realPairs(ltModel, corpus: longTailed, pairs: longTailed.splits!.train)
      for method in [AugmentMethod.oversample, .diffusion] {
        var diffusion = DiffusionSettings()
        diffusion.guidance = guidance
        diffusion.seed = seed
        diffusion.iterations = generatorIterations
        let bar = StageProgress(quiet: output.quiet)
        let (synthetic, plan) = FeatureAugmentation.synthesize(real, labelCount: labelCount, method: method, settings: diffusion,
                                                               limit: maxSynthetic ?? real.count, progress: bar.update)
        bar.finish()
        if method == .diffusion {
          let short = plan.plannedCounts.enumerated().filter { $0.element < plan.target && plan.realCounts[$0.offset] > 0 }.count
          say("  balance plan: \(plan.labelSets.count) synthetic pairs towards \(plan.target) a label" + (short > 0 ? " (\(short) labels stay short: capped by --max-synthetic)" : ""))
        }
        let model = try CrossModalModel.load(from: ltModelURL)
        try FeatureAugmentation.fineTune(model, real: real, synthetic: synthetic, method: method.rawValue, settings: settings,
                                         epochs: stages, rate: fineTuning.finetuneRate)
        try evaluate(method.rawValue, model)
      }
    }
    if !output.json { summary(rows) }
    say(String(format: "done in %@", ProgressBar.clock(Date().timeIntervalSince(started))))
  }

  private func train(_ corpus: Corpus, bits: Int, settings: TrainingSettings, label: String) throws -> CrossModalModel {
    let run = try TrainingRun(corpus: corpus, spec: try ShapesRecipe.spec(corpus, bits: bits), settings: settings)
    let bar = ProgressBar(total: settings.epochs, label: label, quiet: output.quiet)
    run.loop.run(epochs: settings.epochs, onEpoch: { bar.update($0.epoch) })
    bar.finish()
    return run.finishedModel()
  }

  /// MAP over all queries and over the tail-label queries, in both directions.
  private func maps(_ model: CrossModalModel, _ corpus: Corpus, tailQueries: [Int]) throws -> [(Direction, Double, Double)] {
    let q = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: corpus.splits!.query)
    let r = try CrossModalEvaluation.codes(model, corpus: corpus, pairs: corpus.splits!.retrieval)
    let tail = q.subset(tailQueries)
    let all = CrossModalEvaluation.evaluate(queries: q, retrieval: r, directions: [.i2t, .t2i])
    let rare = CrossModalEvaluation.evaluate(queries: tail, retrieval: r, directions: [.i2t, .t2i])
    return zip(all, rare).map { ($0.0, $0.1.map, $1.1.map) }
  }

  private func line(_ setting: String, _ bits: Int, _ direction: Direction, _ all: Double, _ tail: Double) {
    if output.json {
      for (subset, map) in [("all", all), ("tail", tail)] {
        print(JSONLine([("setting", .string(setting)), ("direction", .string(direction.rawValue)), ("bits", .int(bits)), ("subset", .string(subset)),
                        ("map", .number(map, places: 4))]).text)
      }
    } else {
      print(String(format: "  %-10@ %3d bits  %@  MAP all %.4f  tail %.4f", setting, bits, direction.rawValue, all, tail))
    }
  }

  /// The share of the MAP lost to the long tail that each augmentation wins back.
  private func summary(_ rows: [(String, Int, Direction, String, Double)]) {
    print("\nrecovered share of the MAP lost to the long tail ((augmented − long-tailed) / (balanced − long-tailed)):")
    for k in Set(rows.map(\.1)).sorted() {
      for d in [Direction.i2t, .t2i] {
        for subset in ["all", "tail"] {
          let value = { (s: String) in rows.first { $0.0 == s && $0.1 == k && $0.2 == d && $0.3 == subset }?.4 ?? 0 }
          let lost = value("balanced") - value("longtail")
          let share = { (s: String) in lost > 1e-9 ? String(format: "%5.0f%%", 100 * (value(s) - value("longtail")) / lost) : "  n/a" }
          print(String(format: "  %3d bits %@ %-4@  lost %.4f   oversample %@   diffusion %@", k, d.rawValue, subset, lost, share("oversample"), share("diffusion")))
        }
      }
    }
  }

  private func say(_ text: String) { if !output.json { print(text) } }
}
