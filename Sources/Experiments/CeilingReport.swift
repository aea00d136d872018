// CeilingReport: per label, the AP of a plain classifier of a model's image tower beside the model's
// image→image retrieval (`cmh experiment ceiling`), as a table or JSON lines.

import Foundation
import Platform
import Training

public enum CeilingReport {
  public typealias Row = (retrieval: LabelScore, classifier: Double)

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
