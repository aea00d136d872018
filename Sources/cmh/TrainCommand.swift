// cmh train: the θx / θy / B training of a corpus (Training/RunSession.trainModel), and the
// option groups that shape the towers and the optimisation.

import ArgumentParser
import Augment
import CauchyLoss
import Corpus
import Foundation
import Hashing
import Model
import Platform
import Training

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train the image and text towers into one Hamming space.",
    discussion: """
      Trains on the corpus's training split (see `cmh corpus split`). A checkpoint (OUT.ckpt) is written after the \
      first epoch, at most every 20 seconds after it, after the last, and when Ctrl-C stops the run; `--resume` continues from it with the settings it was started with. \
      Epoch logs go to OUT.log.jsonl. With --augment DIR (from `cmh augment`), the whole model trains on the \
      training pairs together with the folder's synthetic pairs (the label epochs first, which thus see the \
      balanced pairs; then --pretrain-epochs, default --epochs; checkpoint OUT.pretrain.ckpt), and then, with \
      --real-epochs N, N more epochs on the real pairs alone at --real-rate times the learning rates. Under \
      `mpirun -np N` the ranks share every batch of --batch-size (docs/mpi.md).

      Examples:
        cmh train corpora/holiday --out holiday.cmh
        cmh train corpora/mirflickr25k --bits 32 --loss dcmh --out mir-32.cmh
        cmh train corpora/mirflickr25k --bits 32 --loss dcmh --out mir-32.cmh --resume --epochs 60
      """)

  @Argument(help: "Corpus directory.") var corpus: String
  @Option(help: "Code length in bits (8-1024; the benchmarks use 16, 32, 64, 128).") var bits = 64
  @Option(help: "Similarity loss: cauchy or dcmh.") var loss = LossKind.cauchy
  @OptionGroup var model: ModelOptions
  @OptionGroup var training: TrainingOptions
  @Option(help: "Where to write the model.") var out: String
  @Option(help: "Checkpoint file (default: OUT.ckpt).") var checkpoint: String?
  @Flag(help: "Continue from the checkpoint; the model and training settings come from it.") var resume = false
  @Option(help: "Validation MAP (query set against the retrieval set) every N epochs; 0 for none.") var validateEvery = 0
  @Option(help: "An augmentation folder (`cmh augment`): pre-train the whole model on its synthetic pairs with the real ones first.")
  var augment: String?
  @OptionGroup var schedule: ScheduleOptions
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws {
    try ModelOptions.check(bits: bits)
  }

  func run() throws {
    try OutputCheck.file(out, option: "--out")
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let outURL = URL(fileURLWithPath: out), log = URL(fileURLWithPath: out + ".log.jsonl")
    let session = RunSession(console: output.console, checkpoint: URL(fileURLWithPath: checkpoint ?? out + ".ckpt"), log: log)
    let spec = { try model.spec(for: loaded, bits: bits) }, settings = { training.settings(for: $0, loss: loss, corpus: loaded) }
    guard let augment else {
      try session.trainModel(loaded, out: outURL, resume: resume, epochs: training.epochs, validateEvery: validateEvery, spec: spec, settings: settings)
      return
    }
    let (_, pairs) = try AugmentationFolder.read(URL(fileURLWithPath: augment), for: loaded)
    try session.trainAugmented(loaded, adding: pairs, out: outURL, resume: resume, schedule: schedule.schedule, spec: spec, settings: settings)
  }
}

/// How training with synthetic pairs runs (`--augment`, `cmh experiment longtail`).
struct ScheduleOptions: ParsableArguments {
  @Option(help: "With synthetic pairs: epochs on them with the real pairs (default: --epochs).") var pretrainEpochs: Int?
  @Option(help: "With synthetic pairs: epochs on the real pairs alone after them.") var realEpochs = PretrainingSchedule().realEpochs
  @Option(help: "With synthetic pairs: the learning rates of those epochs, as a share of the others.") var realRate = PretrainingSchedule().realRate

  func validate() throws {
    guard pretrainEpochs.map({ $0 >= 1 }) ?? true, realEpochs >= 0, realRate > 0 else { throw ValidationError("--pretrain-epochs must be at least 1, --real-epochs not negative, --real-rate positive") }
  }

  var schedule: PretrainingSchedule { PretrainingSchedule(pretrainEpochs: pretrainEpochs, realEpochs: realEpochs, realRate: realRate) }
}

/// The options that shape the two towers (the code length is the command's own option).
struct ModelOptions: ParsableArguments {
  @Option(help: "Image tower: resnet34, compact10 (pixels) or mlp (feature rows) (default: compact10 for image files, mlp for feature rows).")
  var arch: ImageArchitecture?
  @Option(help: "Image side the tower reads (default: 224 for resnet34, 64 for compact10).") var inputSize: Int?
  @Option(help: "Channels of the first convolutional stage (64 as in torchvision).") var width = 64
  @Option(help: "How much compact10's first stage shrinks the image: 1 (3×3 conv), 2 (3×3/2 conv) or 4 (ImageNet's 7×7/2 conv and max pool) (default: 1 at 32², 4 above).") var stemStride: Int?
  @Option(help: "Placements of each image whose outputs are averaged when encoding: 1, 2 (and its mirror image) or 8 (every quarter turn, mirrored or not) (default: 8 when training turns the images, 2 when it only mirrors them).") var imageViews: Int?
  @Option(help: "Hidden units before the image hash layer, comma-separated (default: 4096 for compact10, 1024,1024 for mlp, none for resnet34).")
  var imageHidden: String?
  @Option(help: "Hidden layers of the text tower, comma-separated (default: 1024,1024 on a corpus of feature rows, 4096,4096 beside a pixel tower).")
  var textHidden: String?

  static func check(bits: Int) throws {
    guard BinaryCodes.supportedBits.contains(bits) else { throw ValidationError("--bits must be in 8...1024, got \(bits)") }
  }

  func validate() throws {
    guard inputSize.map({ $0 >= 32 }) ?? true else { throw ValidationError("--input-size must be at least 32") }
    guard width >= 4 else { throw ValidationError("--width must be at least 4") }
    guard stemStride.map({ [1, 2, 4].contains($0) }) ?? true else { throw ValidationError("--stem-stride must be 1, 2 or 4") }
    guard imageViews.map(ModelSpec.supportedViews.contains) ?? true else { throw ValidationError("--image-views must be 1, 2 or 8") }
    if let textHidden { _ = try Self.sizes(textHidden, "--text-hidden") }
    if let imageHidden { _ = try Self.sizes(imageHidden, "--image-hidden") }
  }

  static func sizes(_ text: String, _ option: String) throws -> [Int] {
    try CommaList.parse(text, "\(option) takes positive sizes separated by commas") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
  }

  func spec(for corpus: Corpus, bits: Int) throws -> ModelSpec {
    var spec = try ModelSpec.make(for: corpus, training: try corpus.requireSplits().train, bits: bits, architecture: arch, inputSize: inputSize, width: width,
                                  imageHidden: try imageHidden.map { try Self.sizes($0, "--image-hidden") },
                                  textHidden: try textHidden.map { try Self.sizes($0, "--text-hidden") })
    if spec.architecture == .compact10, let stemStride { spec.stemStride = stemStride }
    if spec.architecture != .mlp { spec.imageViews = imageViews }
    return spec
  }
}

extension ImageArchitecture: ExpressibleByArgument {}
extension LossKind: ExpressibleByArgument {}
extension SimilarityKind: ExpressibleByArgument {}
extension TrainLayers: ExpressibleByArgument {}

/// The options of the optimisation (the loss is the command's own option).
struct TrainingOptions: ParsableArguments {
  @Option(help: "Training target: any (a shared label makes a pair similar), or graded by the cosine or jaccard of the label sets (default: jaccard for cauchy, any for dcmh).")
  var similarity: SimilarityKind?
  @Option(help: "Epochs, each one image pass, one text pass and a code update; with --resume, the new total (default: 30 on pixels, 60 on feature rows).") var epochs: Int?
  @Option(help: "Cauchy scale γ.") var gamma: Float = 10
  @Option(help: "Quantization weight α.") var alpha: Float = 1
  @Option(help: "Bit-balance weight η (0: off; the collapse guard switches it on at 0.03 for a tower whose codes collapse).") var eta: Float = 0
  @Option(help: "Weight λ of Deep Cauchy Hashing's quantization term λ·log(1 + d(|f|, 1)/γ) (0: off).") var cauchyQuantization: Float = 0
  @Option(help: "Weight μ of the label-prediction term: a linear head shared by both towers must read every label from the codes (0: off; default: 1 with label epochs, else 0).") var labelWeight: Float?
  @Option(help: "Epochs before the hashing epochs in which the image tower learns the labels as a classifier (default: twice --epochs for a pixel tower without --pretrained or --train-layers on a corpus whose pairs hold several labels, 0 otherwise).") var labelEpochs: Int?
  @Option(help: "Pairs per batch (default: 64 on pixels, 128 on feature rows).") var batchSize: Int?
  @Option(help: "RMSprop learning rate of the image tower (default: 1e-4 on pixels, 3e-4 on feature rows).") var imageLr: Float?
  @Option(help: "RMSprop learning rate of the text tower (default: 3e-4 on a corpus of feature rows, 1e-4 on words and tags beside images).") var textLr: Float?
  @Option(help: "Halve the learning rates every N epochs.") var halveEvery = 15
  @Flag(help: "Do not mirror training images.") var noFlip = false
  @Option(help: "Turn training images by random quarter turns too (default: true for a corpus whose images have no upright, orientation \"any\" in corpus.json, as the shapes corpus; false for photos).") var turnImages: Bool?
  @Option(help: "Seed for weights, orders and flips.") var seed: UInt64 = 1
  @Option(help: "Image layers that train: head, layer4 or all. The others stay frozen in evaluation mode and their outputs are computed once (no flips then).")
  var trainLayers = TrainLayers.all
  @Option(help: "Start the image tower from these weights (.pth from torch.save, e.g. torchvision's resnet34-b627a593.pth, or .safetensors), matched by name.") var pretrained: String?

  /// The settings' own check: one place says what is in range.
  func validate() throws {
    if let problem = common(loss: .cauchy).problem { throw ValidationError(problem) }
    guard epochs ?? 1 >= 1, (0...1_000_000).contains(labelEpochs ?? 0) else { throw ValidationError("--epochs must be at least 1 and --label-epochs 0 or more") }
  }

  /// The settings for a new model: what the user set, the rest from the input kinds of `spec`.
  func settings(for spec: ModelSpec, loss: LossKind, corpus: Corpus) -> TrainingSettings {
    TrainingDefaults.settings(for: spec, base: common(loss: loss), similarity: similarity, epochs: epochs, batchSize: batchSize, imageLearningRate: imageLr, textLearningRate: textLr,
                              labelEpochs: labelEpochs, labelWeight: labelWeight, turnImages: turnImages, multiLabel: corpus.isMultiLabel, upright: corpus.info.upright)
  }

  /// The settings for a fine-tuning (its rates and epochs come from the folder's model).
  func common(loss: LossKind) -> TrainingSettings {
    var s = TrainingSettings()
    s.loss = loss; s.similarity = similarity ?? s.similarity; s.epochs = epochs ?? s.epochs; s.gamma = gamma; s.alpha = alpha; s.eta = eta; s.lambda = cauchyQuantization
    s.batchSize = batchSize ?? s.batchSize; s.imageLearningRate = imageLr ?? s.imageLearningRate; s.textLearningRate = textLr ?? s.textLearningRate
    s.halveEvery = halveEvery; s.flipImages = !noFlip; s.seed = seed; s.labelWeight = labelWeight ?? 0
    s.pretrained = pretrained.map { URL(fileURLWithPath: $0).path }
    s.trainLayers = trainLayers
    return s
  }
}
