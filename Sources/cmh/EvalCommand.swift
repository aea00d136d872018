// cmh eval: the paper-style table of models on a corpus (Experiments/ModelEvaluation).

import ArgumentParser
import Corpus
import Experiments
import Foundation
import Platform
import Search

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "MAP and precision of trained models on a corpus's query and retrieval sets.",
    discussion: """
      Usage: cmh eval MODEL [MODEL ...] CORPUS. Relevance: query and item share a label. Ranking by Hamming distance, equal distances by item position; a query without a relevant item counts with AP 0. With --gallery BIG.cmh, the models encode the queries and BIG.cmh the retrieval set: small query models from `cmh distill` against the gallery model they were distilled for.

      Examples:
        cmh eval cmh-demo/model-64.cmh cmh-demo/shapes
        cmh eval m16.cmh m32.cmh m64.cmh corpora/mirflickr25k --svg plots --csv
      """)

  @Argument(help: "Model files, then the corpus directory.") var paths: [String]
  @OptionGroup var ranking: RankingOptions
  @OptionGroup var reranking: RerankOptions
  @Option(help: "Encode the retrieval set with this model (a gallery model) and the queries with each MODEL (small query models distilled against it).")
  var gallery: String?
  @Option(help: "Write precision-recall curves as SVG files into this folder.") var svg: String?
  @Flag(help: "Comma-separated values instead of a table.") var csv = false
  @Flag(help: "List every label's AP (default: the mean, each kind's mean and the three worst labels).") var perLabel = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws {
    guard paths.count >= 2 else { throw ValidationError("give at least one model file and the corpus directory") }
  }

  func run() throws {
    if let svg { try OutputCheck.folder(svg, option: "--svg") }
    let corpus = try Corpus.load(URL(fileURLWithPath: paths.last!))
    let rankings = try reranking.rankings(allowingAll: true)
    var evaluation = ModelEvaluation(k: ranking.k, radius: ranking.radius)
    evaluation.perLabel = perLabel
    let results = try evaluation.run(Array(paths.dropLast()), corpus: corpus, gallery: gallery, rankings: rankings, console: output.console)
    print(output.json ? evaluation.json(results) : csv ? evaluation.csv(results)
          : evaluation.table(results, paths: Array(paths.dropLast()), corpus: corpus.info.name, order: SearchAnswer.order(rankings[0].method, rankings[0].settings)))
    fflush(stdout)  // the table before the "wrote" lines on stderr, also when both go to one pipe
    if let svg { try evaluation.writeCurves(results, into: svg, console: output.console) }
  }
}
