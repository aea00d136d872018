// cmh demo: the whole tool on the built-in corpus (Experiments/Demo).

import ArgumentParser
import Experiments
import Foundation
import Model

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Generate the shapes corpus, train 64-bit codes, evaluate and search (what `make demo` runs).",
    discussion: """
      Examples:
        cmh demo
        cmh demo --dir /tmp/demo32 --bits 32 --epochs 5
      """)

  @Option(help: "Working directory for the corpus, model, indexes and result pages.") var dir = "cmh-demo"
  @Option(help: "Code length in bits.") var bits = 64
  @Option(help: "Training epochs.") var epochs = ShapesRecipe.epochs
  @Option(help: "Epochs before the training epochs in which the image tower learns the labels as a classifier (0: none; the demo then takes less than half the time, and its codes carry little shape).")
  var labelEpochs = ShapesRecipe.labelEpochs
  @Option(help: "Similarity loss: cauchy or dcmh.") var loss = LossKind.cauchy
  @Option(help: "Seed for the corpus, the weights and the orders.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws { guard epochs >= 1, (0...1_000_000).contains(labelEpochs) else { throw ValidationError("--epochs must be at least 1 and --label-epochs 0 or more") } }

  func run() throws {
    try Demo.run(in: URL(fileURLWithPath: dir), bits: bits, epochs: epochs, labelEpochs: labelEpochs, loss: loss, seed: seed, console: output.console)
  }
}
