// cmh augment: synthetic pairs for a corpus's rare label sets, in its input space (Augment/Augmentation).

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
      Every label gets as many real + synthetic pairs as the most frequent one has, with label sets drawn from the \
      real ones. --method diffusion trains a conditional diffusion model on the training images (a U-Net at --size², \
      or on the rows of features/image.npy) and renders one item per planned set, paired with the text of a real \
      pair of that set; oversample copies real pairs. --manifest takes images generated elsewhere (JSON lines \
      {"image", "text", "labels": [names]}). OUT is a corpus of the synthetic pairs with augmentation.json, \
      synthetic.jsonl (each pair's labels, text and its source) and contact-sheet.html.

      Example:
        cmh augment corpora/shapes-lt --out aug
        cmh train corpora/shapes-lt --augment aug --out lt-augmented.cmh
      """)

  @Argument(help: "Corpus directory; its training split is what gets balanced.") var corpus: String
  @Option(help: "Folder to write.") var out: String
  @Option(help: "diffusion or oversample.") var method = AugmentMethod.diffusion
  @Option(help: "Import images generated elsewhere from this JSON-lines manifest instead of generating.") var manifest: String?
  @Option(help: "At most this many synthetic pairs (default: as many as the real training pairs).") var maxSynthetic: Int?
  @Option(help: "Training iterations of the diffusion generator.") var iterations = PixelGeneratorSettings().diffusion.iterations
  @Option(help: "Side of the images the generator learns and renders (a multiple of 4).") var size = PixelGeneratorSettings().size
  @Option(help: "Classifier-free guidance scale.") var guidance: Float = 2
  @Option(help: "Seed of the generator and of the label sets drawn.") var seed: UInt64 = 1
  @Flag(help: "Continue the generator's training from OUT.generator.ckpt, which it saves every minute, on Ctrl-C and at its end; a generator trained to the end renders again (another --max-synthetic or --guidance) without training.") var resume = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws {
    guard maxSynthetic.map({ $0 >= 0 }) ?? true, iterations >= 1, guidance >= 0, (8...256).contains(size), size % 4 == 0 else {
      throw ValidationError("--max-synthetic must not be negative, --iterations at least 1, --guidance not negative, --size a multiple of 4 from 8 to 256")
    }
  }

  func run() throws {
    try OutputCheck.file(out, option: "--out")  // the folder is staged beside it, then renamed
    let loaded = try Corpus.load(URL(fileURLWithPath: corpus))
    var augmentation = Augmentation(method: method, manifest: manifest, maxSynthetic: maxSynthetic, resume: resume ? .same : .no)
    augmentation.generator.size = size; augmentation.generator.diffusion.iterations = iterations
    augmentation.generator.diffusion.guidance = guidance; augmentation.generator.diffusion.seed = seed
    let bar = output.console.stages()
    let summary = try augmentation.run(loaded, out: URL(fileURLWithPath: out), progress: bar.update)
    bar.finish()
    summary.report(console: output.console, out: out, corpus: corpus)
  }
}
