// CeilingReport: per label, the AP of a plain classifier of a model's image tower beside the model's
// image→image retrieval (`cmh experiment ceiling`), as a table or JSON lines.

import Corpus
import Foundation
import Model
import Platform
import Training

public enum CeilingReport {
  public typealias Row = (retrieval: LabelScore, classifier: Double)

  /// The classifier of the model at `url` trained on `corpus`, beside the model's retrieval.
  public static func measure(_ url: URL, on corpus: Corpus, settings: ClassifierSettings, console: Console) throws -> [Row] {
    let trained = try CrossModalModel.load(from: url)
    guard trained.spec.architecture != .mlp || corpus.imageFeatures != nil else {
      throw ExperimentError("\(url.path): its image tower reads feature rows, and \(corpus.directory.path) has none")
    }
    let train = try corpus.requireSplits().train
    var bar: ProgressBar?
    return try LabelClassifier.ceiling(of: trained, on: corpus, settings: settings, onBatch: { epoch, done in
      if done <= settings.batchSize { bar = console.progress(total: train.count, label: "classifier epoch \(epoch)/\(settings.epochs)") }
      bar?.update(done)
    }, onEpoch: { _, _ in bar?.finish() })
  }

  public static func json(_ rows: [Row]) -> String {
    let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
    return rows.map { s, c in
      JSONLine([("label", .string(s.name)), ("kind", .string(s.kind ?? "")), ("classifier_ap", n(c)), ("i2i_ap", n(s.ap)),
                ("ratio", n(c > 0 ? s.ap / c : 0)), ("queries", .int(s.queries))]).text
    }.joined(separator: "\n")
  }

  public static func table(_ rows: [Row]) -> String {
    var lines = ["per-label AP: a classifier of the image tower (query images ranked by score) and the model's image→image retrieval",
                 "label            kind        classifier   retrieval   ratio"]
    for (s, c) in rows {
      lines.append(s.name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + (s.kind ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)
                   + String(format: "  %10.4f  %10.4f  %6.2f", c, s.ap, c > 0 ? s.ap / c : 0))
    }
    let meanC = rows.reduce(0) { $0 + $1.1 } / Double(max(rows.count, 1)), meanR = rows.reduce(0) { $0 + $1.0.ap } / Double(max(rows.count, 1))
    lines.append(String(format: "mean                         %10.4f  %10.4f  %6.2f", meanC, meanR, meanC > 0 ? meanR / meanC : 0))
    return lines.joined(separator: "\n")
  }
}
