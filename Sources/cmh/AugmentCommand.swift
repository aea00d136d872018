// cmh augment: synthetic pairs for a corpus's rare label sets (Augment/Augmentation).

import ArgumentParser
import Augment
import Corpus
import Foundation
import Platform

extension AugmentMethod: ExpressibleByArgument {}

struct AugmentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Make synthetic pairs for the rare label sets of a corpus, for `cmh train --augment`.",
    discussion: """
      The pairs live in the spaces of --model, a first training on the corpus: the image backbone's feature \
      (the output of the layers below the hash head) and the text tower's columns. The balance plan gives every \
      label as many real + synthetic pairs as the most frequent one has, drawing the label sets from the real \
      rare ones. With --manifest, images generated elsewhere (JSON lines {"image", "text", "labels": [names]}) \
      go through the model's backbone and vocabulary instead. OUT holds start.cmh (the model), \
      synthetic.cmhaug (the pairs) and synthetic.jsonl (their label names and words, to read).

      Example:
        cmh augment corpora/shapes-lt --model lt.cmh --out aug
        cmh train corpora/shapes-lt --augment aug --out lt-augmented.cmh
      """)

  @Argument(help: "Corpus directory; its training split is what gets balanced.") var corpus: String
  @Option(help: "The model the pairs are made for: a `cmh train` model of this corpus.") var model: String
  @Option(help: "Folder to write.") var out: String
  @Option(help: "diffusion, oversample or none.") var method = AugmentMethod.diffusion
  @Option(help: "Import images generated elsewhere from this JSON-lines manifest instead of generating.") var manifest: String?
  @Option(help: "At most this many synthetic pairs (default: as many as the real training pairs).") var maxSynthetic: Int?
  @Option(help: "Training iterations of the diffusion generator.") var iterations = 3000
  @Option(help: "Classifier-free guidance scale.") var guidance: Float = 2
  @Option(help: "Seed of the generator and of the label sets drawn.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws {
    guard maxSynthetic.map({ $0 >= 0 }) ?? true, iterations >= 1, guidance >= 0 else {
      throw ValidationError("--max-synthetic must not be negative, --iterations at least 1, --guidance not negative")
    }
  }

  func run() throws {
    try OutputCheck.file(out, option: "--out")  // the folder is staged beside it, then renamed
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    var augmentation = Augmentation()
    augmentation.method = method; augmentation.manifest = manifest; augmentation.maxSynthetic = maxSynthetic
    augmentation.iterations = iterations; augmentation.guidance = guidance; augmentation.seed = seed
    let summary = try augmentation.run(loaded, model: model, out: URL(fileURLWithPath: out), console: output.console)
    summary.report(console: output.console, out: out, corpus: corpus)
  }
}
