// CeilingReport: per label, the AP of a plain classifier of a model's image tower beside the model's
// image→image retrieval (`cmh experiment ceiling`), as a table or JSON lines.

import Corpus
import Foundation
import Model
import Platform
import Training

public enum CeilingReport {
  public typealias Row = LabelClassifier.Ceiling

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

  /// The model's retrieval over another ranking's (0 when that one finds nothing).
  static func ratio(_ model: Double, _ other: Double) -> Double { other > 0 ? model / other : 0 }

  public static func json(_ rows: [Row]) -> String {
    let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
    return rows.map { r in
      var fields: [(String, JSONLine.Value)] = [("label", .string(r.retrieval.name)), ("kind", .string(r.retrieval.kind ?? "")),
                                                ("classifier_ap", n(r.classifier)), ("classifier_i2i_ap", n(r.classifierRanking)),
                                                ("labels_i2i_ap", n(r.labelCodes)), ("i2i_ap", n(r.retrieval.ap))]
      fields += [("ratio_to_classifier_i2i", n(ratio(r.retrieval.ap, r.classifierRanking))), ("ratio_to_labels_i2i", n(ratio(r.retrieval.ap, r.labelCodes))),
                 ("queries", .int(r.retrieval.queries))]
      if let named = r.namedText { fields += [("named_text_ap", n(named)), ("ratio_named_to_classifier", n(ratio(named, r.classifier)))] }
      return JSONLine(fields).text
    }.joined(separator: "\n")
  }

  public static func table(_ rows: [Row]) -> String {
    let named = rows.contains { $0.namedText != nil }
    var lines = ["per-label AP of a classifier of the image tower (query images ranked by the label's score)"
                   + (named ? ", and of a text naming the label alone (the same images ranked by the model)," : ","),
                 "then per-label MAP image→image of rankings by all labels at once: by the classifier's probabilities",
                 "(cosine), by the true label sets as codes (Hamming), by the model's codes (Hamming), and the model's over the first two",
                 "label            kind        classifier" + (named ? "  text naming it  ÷ classifier" : "")
                   + "  its ranking  true labels    model   ÷ its ranking  ÷ true labels"]
    let line = { (name: String, kind: String, v: [Double], text: Double?) in
      name.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + kind.padding(toLength: 10, withPad: " ", startingAt: 0)
        + String(format: "  %10.4f", v[0])
        + (named ? text.map { String(format: "  %14.4f  %12.2f", $0, ratio($0, v[0])) } ?? "               —             —" : "")
        + String(format: "  %11.4f  %11.4f  %7.4f  %13.2f  %13.2f", v[1], v[2], v[3], ratio(v[3], v[1]), ratio(v[3], v[2]))
    }
    for r in rows { lines.append(line(r.retrieval.name, r.retrieval.kind ?? "", [r.classifier, r.classifierRanking, r.labelCodes, r.retrieval.ap], r.namedText)) }
    let mean = { (value: (Row) -> Double) in rows.reduce(0) { $0 + value($1) } / Double(max(rows.count, 1)) }
    let texts = rows.compactMap(\.namedText)
    lines.append(line("mean", "", [mean { $0.classifier }, mean { $0.classifierRanking }, mean { $0.labelCodes }, mean { $0.retrieval.ap }],
                      texts.count == rows.count ? texts.reduce(0, +) / Double(max(texts.count, 1)) : nil))
    return lines.joined(separator: "\n")
  }
}
