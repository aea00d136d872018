// cmh experiment ceiling: a classifier of a model's image tower beside its retrieval (Experiments/CeilingReport).

import ArgumentParser
import Corpus
import Experiments
import Foundation
import Training

struct CeilingExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ceiling",
    abstract: "Per-label AP of a plain classifier of a model's image tower beside the model's per-label retrieval.",
    discussion: """
      The classifier is the model's image tower (same architecture, input size and stem) with a linear head, trained from scratch with binary cross-entropy and Adam on the training split; its AP for a label ranks the query images by the label's score. Beside it, per-label MAP image→image (queries holding the label, items holding it relevant) of three rankings by all labels at once: the classifier's probabilities (cosine), the true label sets as codes and the model's codes (Hamming order).

      Examples:
        cmh experiment ceiling cmh-demo/corpus --model cmh-demo/model-64.cmh
        cmh experiment ceiling corpora/mine --model mine.cmh --epochs 30 --json
      """)

  @Argument(help: "The corpus directory (with splits).") var corpus: String
  @Option(help: "The model whose image tower is trained as a classifier and whose retrieval is compared.") var model: String
  @Option(help: "Classifier epochs.") var epochs = 40
  @Option(help: "Peak Adam learning rate of the classifier's one-cycle schedule.") var lr: Float = 3e-3
  @Option(help: "P of the per-label balance: each label's loss weighs (its loss over the mean)^P; 0 weighs all alike.") var balance: Float = 1
  @Option(help: "Seed of the classifier's weights and orders.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard epochs >= 1, lr > 0, balance >= 0 else { throw ValidationError("--epochs must be at least 1, --lr positive and --balance not negative") }
  }

  func run() throws {
    let corpus = try Corpus.load(URL(fileURLWithPath: self.corpus))
    var settings = ClassifierSettings()
    settings.epochs = epochs; settings.learningRate = lr; settings.balance = balance; settings.seed = seed
    let rows = try CeilingReport.measure(URL(fileURLWithPath: model), on: corpus, settings: settings, console: output.console)
    print(output.json ? CeilingReport.json(rows) : CeilingReport.table(rows))
  }
}
