// cmh distill: a small query model for a gallery model's codes (Distill/DistillSession).

import ArgumentParser
import Corpus
import Distill
import Foundation
import Model
import Platform
import Training

struct DistillCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "distill",
    abstract: "Train small query towers whose codes search a big model's indexes.",
    discussion: """
      Usage: cmh distill MODEL CORPUS --out SMALL.cmh. MODEL (the gallery model) does not change: its indexes stay as they are. \
      For every training pair of CORPUS, the gallery model's nearest codes (text and image) are the pair's context; the small \
      towers learn to score that context as the gallery model does (a softmax at a temperature, matched by KL divergence), \
      without labels. `cmh search` and `cmh eval --gallery MODEL` then take SMALL.cmh as the query model. A checkpoint is \
      written as the run goes (OUT.ckpt; after the first and last epoch, at most every 20 seconds between); epoch logs go to OUT.log.jsonl.

      Example: cmh distill cmh-demo/model-64.cmh cmh-demo/shapes --out small.cmh
      """)

  @Argument(help: "The gallery model (its indexes are what the small model searches).") var model: String
  @Argument(help: "Corpus directory (its training split; labels are not used).") var corpus: String
  @Option(help: "Where to write the small model.") var out: String
  @Option(help: "Small image tower: compact10 or resnet34 on pixels, mlp on feature rows (default: compact10, or mlp for a feature-row model).")
  var imageArch: ImageArchitecture?
  @Option(help: "Channels of the small tower's first stage (default: a quarter of the gallery model's).") var width: Int?
  @Option(help: "Hidden units before the small image hash layer, comma-separated (default: 512 on pixels, 256 on feature rows).") var imageHidden: String?
  @Option(help: "Hidden layers of the small text tower, comma-separated (default: 256).") var textHidden: String?
  @Option(help: "Nearest gallery codes in each item's context.") var neighbours = DistillationSettings().neighbours
  @Option(help: "Random gallery codes added to each context, drawn again every epoch.") var negatives = DistillationSettings().negatives
  @Option(help: "Softmax temperature of the context similarities: one value for student and teacher, or STUDENT,TEACHER.") var temperature = "0.05,0.01"
  @Option(help: "Weight of the contextual KL term (0: first-order only).") var contextual: Float = 1
  @Option(help: "Weight of the first-order term, the student's output against the gallery model's for the same item.") var firstOrder = DistillationSettings().firstOrder
  @Option(help: "Weight of the quantization term α‖sign(u) − u‖².") var alpha = DistillationSettings().alpha
  @Option(help: "Epochs (default: 30 on pixels, 60 on feature rows). With --resume, the new total.") var epochs: Int?
  @Option(help: "Pairs per batch (default: 64 on pixels, 128 on feature rows).") var batchSize: Int?
  @Option(help: "RMSprop rate of the small image tower (default: as `cmh train` for the input kind).") var imageLr: Float?
  @Option(help: "RMSprop rate of the small text tower (default: as `cmh train` for the input kind).") var textLr: Float?
  @Option(help: "Every N epochs, refill the last quarter of each context with the gallery codes nearest to the student's own (0: never).")
  var refreshEvery = 0
  @Option(help: "Seed for weights, orders and the random context codes.") var seed: UInt64 = 1
  @Option(help: "Checkpoint file (default: OUT.ckpt).") var checkpoint: String?
  @Flag(help: "Continue from the checkpoint; the gallery model, the small model and the settings come from it.") var resume = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  /// The settings' own check (one place says what is in range), then the towers' shapes.
  func validate() throws {
    if let problem = try settings(base: DistillationSettings()).problem { throw ValidationError(problem) }
    guard width ?? 4 >= 4 else { throw ValidationError("--width must be at least 4") }
    if let imageHidden { _ = try ModelOptions.sizes(imageHidden, "--image-hidden") }
    if let textHidden { _ = try ModelOptions.sizes(textHidden, "--text-hidden") }
  }

  func temperatures() throws -> (student: Float, teacher: Float) {
    let parts = try CommaList.parse(temperature, "--temperature takes one positive number, or two (student,teacher) like 0.1,0.1", count: 1...2) {
      Float($0).flatMap { $0 > 0 ? $0 : nil }
    }
    return (parts[0], parts.last!)
  }

  func run() throws {
    try OutputCheck.file(out, option: "--out")
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    let session = RunSession(console: output.console, checkpoint: URL(fileURLWithPath: checkpoint ?? out + ".ckpt"), log: URL(fileURLWithPath: out + ".log.jsonl"))
    try session.distillModel(loaded, out: URL(fileURLWithPath: out), resume: resume, epochs: epochs) { progress in
      let gallery = try CrossModalModel.load(from: URL(fileURLWithPath: model))
      let spec = gallery.spec.student(architecture: imageArch, width: width, imageHidden: try imageHidden.map { try ModelOptions.sizes($0, "--image-hidden") },
                                      textHidden: try textHidden.map { try ModelOptions.sizes($0, "--text-hidden") })
      return try DistillationRun(gallery: gallery, galleryPath: model, corpus: loaded, spec: spec, settings: try settings(base: .defaults(for: spec)), progress: progress)
    }
  }

  /// The options over `base` (the defaults for the gallery model's input kinds).
  private func settings(base: DistillationSettings) throws -> DistillationSettings {
    var s = base
    (s.studentTemperature, s.teacherTemperature) = try temperatures()
    s.neighbours = neighbours; s.negatives = negatives; s.contextual = contextual; s.firstOrder = firstOrder; s.alpha = alpha
    s.epochs = epochs ?? s.epochs; s.batchSize = batchSize ?? s.batchSize
    s.imageLearningRate = imageLr ?? s.imageLearningRate; s.textLearningRate = textLr ?? s.textLearningRate
    s.refreshEvery = refreshEvery; s.seed = seed
    return s
  }
}
