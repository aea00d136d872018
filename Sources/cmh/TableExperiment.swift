// cmh experiment table: the paper's MAP table, trained and evaluated, resumable (Experiments/PaperTable).

import ArgumentParser
import Corpus
import Experiments
import Foundation
import Model
import Platform

struct TableExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "table",
    abstract: "Train every (corpus, bits, loss) model, evaluate them, and print the MAP table; resumable.",
    discussion: """
      Usage: cmh experiment table CORPUS [CORPUS ...] --out DIR. Each model is trained with `cmh train`'s defaults \
      (and the training options given here) into DIR/NAME-LOSS-BITS.cmh; a model already there is kept, one with a \
      checkpoint resumes. Ctrl-C saves a checkpoint; the same command continues. Each finished run appends its \
      settings, time and machine to DIR/runs.jsonl. The table (Hamming order, equal distances by item position) is \
      printed and written to DIR/table.md.

      Example: cmh experiment table corpora/wiki-like corpora/mir-like --bits 16,32,64 --loss cauchy,dcmh --out table --reference ref.jsonl
      """)

  @Argument(help: "Corpus directories (one without splits gets the standard protocol's, seed 1).") var corpora: [String]
  @Option(help: "Code lengths, comma-separated.") var bits = "16,32,64"
  @Option(help: "Losses, comma-separated: cauchy, dcmh.") var loss = "cauchy,dcmh"
  @Option(help: "Folder for the models, checkpoints, logs, runs.jsonl and table.md.") var out: String
  @Option(help: """
    JSON lines of figures to show beside the measured ones, as `ref_cmh.py` prints them: {"data": CORPUS-NAME, "loss", "bits", "i2t", "t2i"} \
    ("corpus" for "data"; "label" names the row, default the file's name). Repeatable.
    """)
  var reference: [String] = []
  @Flag(help: "Comma-separated values instead of Markdown.") var csv = false
  @OptionGroup var model: ModelOptions
  @OptionGroup var training: TrainingOptions
  @OptionGroup var output: OutputOptions

  func validate() throws {
    for b in try bitList() { try ModelOptions.check(bits: b) }
    _ = try losses()
  }

  func bitList() throws -> [Int] { try ModelOptions.sizes(bits, "--bits") }

  func losses() throws -> [LossKind] { try CommaList.parse(loss, "--loss takes cauchy and/or dcmh separated by commas", LossKind.init) }

  func run() throws {
    let table = PaperTable(corpora: corpora, bits: try bitList(), losses: try losses(), folder: URL(fileURLWithPath: out), references: reference,
                           spec: { try model.spec(for: $0, bits: $1) }, settings: { training.settings(for: $0, loss: $1, corpus: $2) })
    let result = try table.run(console: output.console)
    print(output.json ? result.jsonLines() : csv ? result.csv() : result.markdown())
  }
}
