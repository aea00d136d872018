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
    abstract: "Balanced vs long-tailed training, and oversampling, re-weighting and diffusion augmentation, on the shapes corpus.",
    discussion: """
      The long-tailed runs train on a shapes corpus generated with long-tailed label frequencies (or, with \
      --source subsample, on the training split thinned by `cmh corpus longtail`); all runs are measured on the \
      balanced corpus's query and retrieval sets. With --pipeline whole-model (the default), oversampling \
      (copies of real pairs with the planned label sets) and the oracle (as many real tail pairs of the \
      balanced corpus: the most the pipeline can win back) pre-train the whole model on the real and added \
      pairs for --pretrain-epochs, then train it on the real pairs; re-weighting trains as many epochs on the \
      real pairs, each weighed by its labels' inverse frequency. With --pipeline frozen-backbone, they start \
      from the long-tailed model, keep its image backbone, and train the hash head and the text tower on \
      backbone features (diffusion generates those), first on the synthetic pairs alone, then with the real ones.

      Example: cmh experiment longtail --dir /tmp/longtail --bits 64
      """)

  @Option(help: "Working directory (corpus, models).") var dir = "cmh-longtail"
  @Option(help: "Head/tail ratio to aim for.") var imbalance = 48.0
  @Option(help: "generate: a corpus generated long-tailed, as large as the balanced one; subsample: the balanced corpus's training split thinned (`cmh corpus longtail`).")
  var source = LongTailExperiment.Source.generate
  @Option(help: "whole-model: pre-train the whole model on real and added pairs, then train on the real ones; frozen-backbone: fine-tune the long-tailed model above its image backbone.")
  var pipeline = LongTailExperiment.Pipeline.wholeModel
  @Option(help: "Whole-model pipeline: epochs of pre-training before the epochs on the real pairs.") var pretrainEpochs = PretrainingSchedule().pretrainEpochs
  @Option(help: "Whole-model pipeline: epochs on the real pairs after pre-training (default: --epochs).") var realEpochs: Int?
  @Option(help: "Whole-model pipeline: learning rates on the real pairs after pre-training, as a share of the first training's.")
  var realRate = PretrainingSchedule().realRate
  @Option(help: "Augmentations to run, comma-separated (default: all): oversample, reweight, diffusion, oracle.") var settings: String?
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
    experiment.pipeline = pipeline; experiment.schedule.pretrainEpochs = pretrainEpochs
    experiment.schedule.realEpochs = realEpochs; experiment.schedule.realRate = realRate
    experiment.settingsToRun = try settings.map { Set(try CommaList.parse($0, "--settings takes names from oversample, reweight, diffusion, oracle") {
      ["oversample", "reweight", "diffusion", "oracle"].contains($0) ? $0 : nil }) }
    experiment.pixelGenerator.diffusion.iterations = generatorIterations; experiment.pixelGenerator.diffusion.guidance = guidance
    experiment.pixelGenerator.diffusion.seed = seed
    try experiment.run(console: output.console)
  }
}

/// The frozen-backbone pipeline's fine-tuning.
struct FineTuneOptions: ParsableArguments {
  @Option(help: "Epochs on the synthetic pairs alone, then on synthetic and real pairs together.") var augmentEpochs = "2,4"
  @Option(help: "Learning rates of the fine-tuning as a share of the first training's (RMSprop's first steps are ten times the rate, which would shake a trained model).")
  var finetuneRate: Float = 0.1

  func validate() throws {
    _ = try stages()
    guard finetuneRate > 0 else { throw ValidationError("--finetune-rate must be positive") }
  }

  func stages() throws -> (synthetic: Int, mixed: Int) {
    let parts = try CommaList.parse(augmentEpochs, "--augment-epochs takes two epoch counts, synthetic alone then mixed, like 2,4 (0 skips a stage)",
                                    count: 2...2) { Int($0).flatMap { $0 >= 0 ? $0 : nil } }
    return (parts[0], parts[1])
  }
}
