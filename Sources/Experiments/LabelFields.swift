// LabelFields: per-label MAP, texts naming one label and the conjunctive text queries as table rows
// and JSON fields (`cmh eval`, the demo, the experiment table).

import Foundation
import Model
import Platform
import Training

public enum LabelFields {
  public typealias Column = (direction: Direction, labels: LabelReport, named: LabelReport?, conjunctive: ConjunctiveReport?)

  /// The fields a direction's JSON line gets: per-label MAP (mean, by kind, every label) and, for
  /// text queries, the same for texts naming one label and the conjunctive shares.
  public static func json(_ labels: LabelReport, named: LabelReport?, _ conjunctive: ConjunctiveReport?) -> [(String, JSONLine.Value)] {
    report(labels) + (named.map(Self.named) ?? []) + (conjunctive.map(Self.conjunctive) ?? [])
  }

  /// A text naming one label's fields (eval's lines and the demo's): those of per-label MAP, named_….
  public static func named(_ r: LabelReport) -> [(String, JSONLine.Value)] { report(r, prefix: "named_") }

  /// A label report's mean, every label's AP, the worst three and the means by kind.
  private static func report(_ r: LabelReport, prefix: String = "") -> [(String, JSONLine.Value)] {
    let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
    var fields: [(String, JSONLine.Value)] = [(prefix + "label_map", n(r.mean)), (prefix + "label_ap", .object(JSONLine(r.labels.map { ($0.name, n($0.ap)) }))),
                                              (prefix + "worst_labels", .strings(r.worst(3).map(\.name)))]
    if !r.byKind.isEmpty { fields.append((prefix + "label_map_by_kind", .object(JSONLine(r.byKind.map { ($0.kind, n($0.ap)) })))) }
    return fields
  }

  /// The conjunctive text queries' fields (eval's lines and the demo's).
  public static func conjunctive(_ c: ConjunctiveReport) -> [(String, JSONLine.Value)] {
    let n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
    return [("conjunctive_queries", .int(c.queries)), ("conjunctive_all_at_10", n(c.allAt10)),
            ("conjunctive_at_10", .object(JSONLine(c.kindAt10.map { ($0.kind, n($0.share)) })))]
  }

  /// The table's sections: per-label MAP by direction (and by kind), the worst labels, the
  /// conjunctive queries; `columns` results a direction, in the order of `header`.
  public static func table(_ results: [Column], columns: Int, header: String, width: Int, perLabel: Bool) -> [String] {
    let f = { (x: Double) in String(format: "%.4f", x).rightAligned(width) }
    let row = { (title: String, cells: [String]) in title.padding(toLength: 14, withPad: " ", startingAt: 0) + cells.joined(separator: " ") }
    let byDirection = { (d: Direction) in results.filter { $0.direction == d } }
    var lines = ["", "per-label MAP (mean over labels; relevant: the item holds the label)", header]
    for d in Direction.allCases { lines.append(row(d.title, byDirection(d).map { f($0.labels.mean) })) }
    let kinds = results.first?.labels.byKind.map(\.kind) ?? []
    for kind in kinds {
      lines += ["", "per-label MAP, \(kind) labels", header]
      for d in Direction.allCases { lines.append(row(d.title, byDirection(d).map { c in f(c.labels.byKind.first { $0.kind == kind }?.ap ?? 0) })) }
    }
    lines += ["", perLabel ? "every label's AP" : "worst labels (AP)"]
    for c in 0..<columns {
      let prefix = columns > 1 ? "column \(c + 1), " : ""
      for d in Direction.allCases {
        let report = byDirection(d)[c].labels
        let shown = perLabel ? report.labels : report.worst(3)
        lines.append("  \(prefix)\(d.title): " + listed(shown))
      }
    }
    lines += namedTable(results, columns: columns, header: header, row: row, f: f, perLabel: perLabel)
    guard let sample = results.compactMap(\.conjunctive).first else { return lines }
    lines += ["", "conjunctive text queries (\(sample.queries) texts of 2-3 label names): share of the top 10 holding…", header]
    for d in [Direction.t2i, .t2t] {
      lines.append(row("\(d.title)", byDirection(d).map { f($0.conjunctive?.allAt10 ?? 0) }) + "   every named label")
      for (kind, _) in sample.kindAt10 {
        lines.append(row("", byDirection(d).map { c in f(c.conjunctive?.kindAt10.first { $0.kind == kind }?.share ?? 0) }) + "   the \(kind)")
      }
    }
    return lines
  }

  /// Texts naming one label (a search for it): per-label AP, text→image and text→text, by kind,
  /// and the worst labels; nothing for models that read no free text.
  static func namedTable(_ results: [Column], columns: Int, header: String, row: (String, [String]) -> String, f: (Double) -> String,
                         perLabel: Bool) -> [String] {
    guard let sample = results.compactMap(\.named).first else { return [] }
    let directions = [Direction.t2i, .t2t], byDirection = { (d: Direction) in results.filter { $0.direction == d } }
    var lines = ["", "a text naming one label (\(sample.labels.count) labels' names): per-label AP, relevant: the item holds the label", header]
    for d in directions {
      lines.append(row(d.title, byDirection(d).map { f($0.named?.mean ?? 0) }) + "   mean over labels")
      for (kind, _) in sample.byKind {
        lines.append(row("", byDirection(d).map { c in f(c.named?.byKind.first { $0.kind == kind }?.ap ?? 0) }) + "   \(kind) labels")
      }
    }
    for c in 0..<columns {
      let prefix = columns > 1 ? "column \(c + 1), " : ""
      for d in directions {
        guard let report = byDirection(d)[c].named else { continue }
        let shown = perLabel ? report.labels : report.worst(3)
        lines.append("  \(prefix)\(d.title), \(perLabel ? "every label" : "worst"): " + listed(shown))
      }
    }
    return lines
  }

  /// "name AP, name AP, …"
  private static func listed(_ scores: [LabelScore]) -> String {
    scores.map { "\($0.name) " + String(format: "%.4f", $0.ap) }.joined(separator: ", ")
  }
}
