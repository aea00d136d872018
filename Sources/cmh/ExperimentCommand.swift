// cmh experiment, and cmh experiment longtail: what the long tail costs and augmentation wins
// back (Experiments/LongTailExperiment).

import ArgumentParser
import Experiments
import Foundation

struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract: "Reproducible experiments.",
    subcommands: [TableExperiment.self, LongTailExperimentCommand.self, CeilingExperiment.self])
}

extension LongTailExperiment.Source: ExpressibleByArgument {}

struct LongTailExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "longtail",
    abstract: "Balanced vs long-tailed training, and oversampling, re-weighting and diffusion augmentation, on the shapes corpus.",
    discussion: """
      The long-tailed runs train on a shapes corpus generated with long-tailed label frequencies (or, with \
      --source subsample, on the training split thinned by `cmh corpus longtail`); all runs are measured on the \
      balanced corpus's query and retrieval sets. Oversampling and \
      diffusion then start from the long-tailed model, keep its image backbone, and train the hash head and \
      the text tower first on the synthetic pairs alone, then on synthetic and real pairs together. Re-weighting \
      trains them as long on the real pairs alone, each weighed by its labels' inverse frequency. The oracle \
      does the same with real tail pairs of the balanced corpus, as many as diffusion generates: the most \
      this pipeline can win back.

      Example: cmh experiment longtail --dir /tmp/longtail --bits 64
      """)

  @Option(help: "Working directory (corpus, models).") var dir = "cmh-longtail"
  @Option(help: "Head/tail ratio to aim for.") var imbalance = 48.0
  @Option(help: "generate: a corpus generated long-tailed, as large as the balanced one; subsample: the balanced corpus's training split thinned (`cmh corpus longtail`).")
  var source = LongTailExperiment.Source.generate
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
    var experiment = LongTailExperiment(folder: URL(fileURLWithPath: dir))
    experiment.imbalance = imbalance; experiment.source = source; experiment.bits = try ModelOptions.sizes(bits, "--bits"); experiment.epochs = epochs
    experiment.maxSynthetic = maxSynthetic; experiment.guidance = guidance; experiment.stages = try fineTuning.stages()
    experiment.finetuneRate = fineTuning.finetuneRate; experiment.pairs = pairs; experiment.generatorIterations = generatorIterations; experiment.seed = seed
    try experiment.run(console: output.console)
  }
}
