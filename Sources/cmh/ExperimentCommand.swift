// cmh experiment, and cmh experiment longtail: what the long tail costs and augmentation wins
// back (Experiments/LongTailExperiment).

import ArgumentParser
import Augment
import Experiments
import Foundation

struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract: "Reproducible experiments.",
    subcommands: [TableExperiment.self, LongTailExperimentCommand.self, CeilingExperiment.self])
}

extension LongTailExperiment.Source: ExpressibleByArgument {}
extension LongTailExperiment.Pipeline: ExpressibleByArgument {}

struct LongTailExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "longtail",
    abstract: "Balanced vs long-tailed training, and oversampling, re-weighting and diffusion augmentation, on the shapes corpus or one's own.",
    discussion: """
      The long-tailed runs train on a shapes corpus generated long-tailed (or, with --source subsample, on the \
      training split thinned by `cmh corpus longtail`; always so for --corpus, a corpus of one's own, whose models \
      take `cmh train`'s defaults); all runs are measured on the balanced corpus's query and retrieval sets. \
      Oversampling, diffusion and the oracle (real pairs of the balanced corpus with the planned label sets: the \
      most the pipeline can win back) go the way of `cmh augment` and `cmh train --augment`; re-weighting weighs \
      each real pair by its labels' inverse frequency. --pipeline frozen-backbone: the long-tailed model's hash \
      head and text tower fine-tuned above its image backbone on synthetic backbone features (the earlier way).

      Examples: cmh experiment longtail --dir /tmp/longtail --bits 64
                cmh experiment longtail --corpus corpora/mirflickr --dir /tmp/longtail-mir --bits 16,32
      """)

  @Option(help: "Working directory (corpus, models).") var dir = "cmh-longtail"
  @Option(help: "A corpus of one's own (with splits) in place of the shapes corpora; its training split is thinned.") var corpus: String?
  @Option(help: "Head/tail ratio to aim for.") var imbalance = 48.0
  @Option(help: "generate: a corpus generated long-tailed, as large as the balanced one; subsample: the balanced corpus's training split thinned (`cmh corpus longtail`).") var source = LongTailExperiment.Source.generate
  @Option(help: "whole-model: pre-train the whole model on real and added pairs, then train on the real ones; frozen-backbone: fine-tune the long-tailed model above its image backbone.") var pipeline = LongTailExperiment.Pipeline.wholeModel
  @OptionGroup var schedule: ScheduleOptions
  @Option(help: "Augmentations to run, comma-separated (default: all): oversample, reweight, diffusion, oracle.") var settings: String?
  @Option(help: "Code lengths, comma-separated.") var bits = "32,64"
  @Option(help: "Epochs of the full trainings (default: 15 on the shapes corpus, `cmh train`'s with --corpus).") var epochs: Int?
  @Option(help: "At most this many synthetic pairs (default: as many as real training pairs).") var maxSynthetic: Int?
  @Option(help: "Classifier-free guidance scale of the generator.") var guidance: Float = 2
  @Option(help: "Pairs of the generated corpus (a tenth are queries, half of the rest train).") var pairs = 6000
  @Option(help: "Iterations of the generator's training.") var generatorIterations = PixelGeneratorSettings().diffusion.iterations
  @Option(help: "Seed.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func run() throws {
    var experiment = LongTailExperiment(folder: URL(fileURLWithPath: dir))
    experiment.imbalance = imbalance; experiment.source = source; experiment.bits = try ModelOptions.sizes(bits, "--bits"); experiment.epochs = epochs
    experiment.maxSynthetic = maxSynthetic; experiment.guidance = guidance; experiment.pairs = pairs; experiment.generatorIterations = generatorIterations; experiment.seed = seed
    experiment.pipeline = pipeline; experiment.schedule = schedule.schedule; experiment.corpus = corpus.map { URL(fileURLWithPath: $0) }
    let names = LongTailExperiment.settingNames
    experiment.settingsToRun = try settings.map { Set(try CommaList.parse($0, "--settings takes names from \(names.joined(separator: ", "))") { names.contains($0) ? $0 : nil }) }
    try experiment.run(console: output.console)
  }
}
