// cmh index eval: a query index against a retrieval index (Experiments/IndexEvaluation).

import ArgumentParser
import Experiments
import Foundation
import Platform

struct IndexEvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "MAP, precision@k, precision within radius 2, NDCG and curves for two index files.",
    discussion: """
      Items are relevant to a query when they share a label. Ranking is by Hamming distance; equal distances rank by item position. A query without any relevant item counts with AP 0.

      Example: cmh index eval cmh-demo/index/query-text.cmhindex cmh-demo/index/image.cmhindex --svg plots
      """)

  @Argument(help: "Index of the queries (its items' labels are used).") var queries: String
  @Argument(help: "Index searched (its items' labels are used).") var retrieval: String
  @OptionGroup var ranking: RankingOptions
  @OptionGroup var reranking: RerankOptions
  @Option(help: "Write the precision-recall and precision@k curves as SVG files into this folder.") var svg: String?
  @Flag(help: "Comma-separated values instead of a table.") var csv = false
  @Flag(help: "Compare indexes that different models wrote (their model fingerprints differ).") var force = false
  @OptionGroup var output: OutputOptions

  func run() throws {
    if let svg { try OutputCheck.folder(svg, option: "--svg") }
    let evaluation = IndexEvaluation(k: ranking.k, radius: ranking.radius)
    let result = try evaluation.run(queries, retrieval, ranking: try reranking.rankings(allowingAll: false)[0], force: force)
    print(output.json ? evaluation.json(result) : csv ? evaluation.csv(result) : evaluation.table(result))
    fflush(stdout)  // the table before the "wrote" lines on stderr, also when both go to one pipe
    if let svg { try evaluation.writeCurves(result, into: svg, console: output.console) }
  }
}
