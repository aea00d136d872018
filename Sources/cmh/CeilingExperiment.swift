// cmh experiment ceiling: what the pixels allow. Trains the image tower of a model's spec as a
// plain multi-label classifier on the corpus's training images, then sets its per-label AP on the
// query images beside the model's per-label retrieval (image→image).

import ArgumentParser
import Corpus
import Foundation
import Model
import Platform
import Training

struct CeilingExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ceiling",
    abstract: "Per-label AP of a plain classifier of a model's image tower beside the model's per-label retrieval.",
    discussion: """
      The classifier is the model's image tower (same architecture, input size and stem) with a linear head, trained from scratch with binary cross-entropy and Adam on the training split; its AP for a label ranks the query images by the label's score. The model's figure is per-label MAP image→image in Hamming order (queries holding the label, items holding it relevant).

      Examples:
        cmh experiment ceiling cmh-demo/corpus --model cmh-demo/model-64.cmh
        cmh experiment ceiling corpora/mine --model mine.cmh --epochs 30 --json
      """)

  @Argument(help: "The corpus directory (with splits).") var corpus: String
  @Option(help: "The model whose image tower is trained as a classifier and whose retrieval is compared.") var model: String
  @Option(help: "Classifier epochs.") var epochs = 15
  @Option(help: "Adam learning rate of the classifier.") var lr: Float = 1e-3
  @Option(help: "Seed of the classifier's weights and orders.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard epochs >= 1, lr > 0 else { throw ValidationError("--epochs must be at least 1 and --lr positive") }
  }

  func run() throws {
    Console.lineBuffered()
    let corpus = try Corpus.load(URL(fileURLWithPath: self.corpus))
    let splits = try ModelInputs.splits(corpus)
    let trained = try ModelInputs.model(model)
    guard trained.spec.architecture != .mlp || corpus.imageFeatures != nil else { throw CommandError("\(model): its image tower reads feature rows, and \(self.corpus) has none") }
    var settings = ClassifierSettings()
    settings.epochs = epochs; settings.learningRate = lr; settings.seed = seed
    var bar: ProgressBar?
    let rows = try LabelClassifier.ceiling(of: trained, on: corpus, settings: settings, onBatch: { epoch, done in
      if done <= settings.batchSize { bar = ProgressBar(total: splits.train.count, label: "classifier epoch \(epoch)/\(epochs)", quiet: output.quiet) }
      bar?.update(done)
    }, onEpoch: { _, _ in bar?.finish() })
    if output.json {
      for (s, c) in rows {
        let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        print(JSONLine([("label", .string(s.name)), ("kind", .string(s.kind ?? "")), ("classifier_ap", n(c)), ("i2i_ap", n(s.ap)),
                        ("ratio", n(c > 0 ? s.ap / c : 0)), ("queries", .int(s.queries))]).text)
      }
      return
    }
    print("per-label AP: a classifier of the image tower (query images ranked by score) and the model's image→image retrieval")
    print("label            kind        classifier   retrieval   ratio")
    for (s, c) in rows {
      print(s.name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + (s.kind ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(format: "  %10.4f  %10.4f  %6.2f", c, s.ap, c > 0 ? s.ap / c : 0))
    }
    let meanC = rows.reduce(0) { $0 + $1.1 } / Double(max(rows.count, 1)), meanR = rows.reduce(0) { $0 + $1.0.ap } / Double(max(rows.count, 1))
    print(String(format: "mean                         %10.4f  %10.4f  %6.2f", meanC, meanR, meanC > 0 ? meanR / meanC : 0))
  }
}
