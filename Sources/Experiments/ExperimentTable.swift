// ExperimentTable: the measured figures of `cmh experiment table` with reference and published
// figures beside them, as Markdown (one table per corpus, a column per loss and code length),
// JSON lines (one per corpus, bits, loss and direction) and CSV.

import Foundation
import Hashing
import Model
import Platform
import Training

/// Figures of another implementation or baseline, read from JSON lines.
public struct ReferenceFigures {
  /// The row's name (the file's name unless its lines carry "label").
  public let label: String
  public let corpus: String, loss: String, bits: Int
  public let i2t: Double, t2i: Double

  public static func read(_ paths: [String]) throws -> [ReferenceFigures] {
    try paths.flatMap { path -> [ReferenceFigures] in
      let text: String
      do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw ExperimentError("\(path): cannot read the reference figures: \(error.localizedDescription)") }
      let fallback = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      return try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { n, line in
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let corpus = (row["data"] ?? row["corpus"]) as? String, let loss = row["loss"] as? String, let bits = row["bits"] as? Int,
              let i2t = row["i2t"] as? Double, let t2i = row["t2i"] as? Double else {
          throw ExperimentError("\(path):\(n + 1): expected {\"data\" or \"corpus\", \"loss\", \"bits\", \"i2t\", \"t2i\"}, as ref_cmh.py prints")
        }
        return ReferenceFigures(label: row["label"] as? String ?? fallback, corpus: corpus, loss: loss, bits: bits, i2t: i2t, t2i: t2i)
      }
    }
  }
}

public struct ExperimentTable {
  public struct Row {
    public let run: ExperimentRun
    public let model: String
    public let i2t: RetrievalReport, t2i: RetrievalReport
    /// Per-label MAP (mean over labels), Image→Text then Text→Image.
    public let labelMAP: [Double]
    /// The share of the top 10 holding every label a text of label names asks for (Text→Image);
    /// nil where texts cannot be written (feature rows without a vocabulary).
    public let conjunctive: Double?
    /// The mean over labels of the AP of a text naming one label (Text→Image); nil where texts
    /// cannot be written.
    public let named: Double?

    public init(run: ExperimentRun, model: String, i2t: RetrievalReport, t2i: RetrievalReport, labelMAP: [Double], named: Double?, conjunctive: Double?) {
      (self.run, self.model, self.i2t, self.t2i, self.labelMAP, self.named, self.conjunctive) = (run, model, i2t, t2i, labelMAP, named, conjunctive)
    }
  }

  public let rows: [Row]
  public let references: [ReferenceFigures]
  public let published: [(corpus: String, figures: PublishedFigures?)]

  public init(rows: [Row], references: [ReferenceFigures], published: [(corpus: String, figures: PublishedFigures?)]) {
    (self.rows, self.references, self.published) = (rows, references, published)
  }

  private static let directions: [(Direction, KeyPath<Row, RetrievalReport>, KeyPath<ReferenceFigures, Double>)] = [(.i2t, \.i2t, \.i2t), (.t2i, \.t2i, \.t2i)]

  private func reference(_ label: String, _ run: ExperimentRun) -> ReferenceFigures? {
    references.first { $0.label == label && $0.corpus == run.corpus && $0.loss == run.loss.rawValue && $0.bits == run.bits }
  }

  private func paper(_ run: ExperimentRun) -> (PublishedFigures, i2t: Double, t2i: Double)? {
    guard let figures = published.first(where: { $0.corpus == run.corpus })?.figures, let map = figures.map[run.bits] else { return nil }
    return (figures, map.i2t, map.t2i)
  }

  private var labels: [String] {
    var seen = [String]()
    for r in references where !seen.contains(r.label) { seen.append(r.label) }
    return seen
  }

  public func markdown() -> String {
    let f = { (x: Double) in String(format: "%.4f", x) }
    var out = [String](), citations = [String]()
    for corpus in rows.map(\.run.corpus).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
      let runs = rows.filter { $0.run.corpus == corpus }
      let first = runs[0].i2t
      out += ["### \(corpus)", "", "\(first.queries) queries × \(first.database) items; Hamming order, equal distances by item position.", "",
              "| measure | direction | " + runs.map { "\($0.run.loss.rawValue) \($0.run.bits)" }.joined(separator: " | ") + " |",
              "|---|---|" + String(repeating: "---|", count: runs.count)]
      let line = { (measure: String, direction: Direction, cells: [String]) in
        out.append("| \(measure) | \(direction.title) | " + cells.joined(separator: " | ") + " |")
      }
      for (d, report, referenced) in Self.directions {
        line("MAP@all", d, runs.map { f($0[keyPath: report].map) })
        for label in labels where runs.contains(where: { reference(label, $0.run) != nil }) {
          line("MAP@all, \(label)", d, runs.map { reference(label, $0.run).map { f($0[keyPath: referenced]) } ?? "—" })
        }
        if let (figures, _, _) = runs.lazy.compactMap({ paper($0.run) }).first {
          let mark = citations.firstIndex(of: figures.citation).map { $0 + 1 } ?? { citations.append(figures.citation); return citations.count }()
          line("MAP@all, \(figures.method) as published [\(mark)]", d, runs.map { r in paper(r.run).map { f(d == .i2t ? $0.i2t : $0.t2i) } ?? "—" })
        }
        line("MAP@all of a random ranking", d, runs.map { f($0[keyPath: report].mapChance) })
      }
      for (d, report, _) in Self.directions { line("NDCG@100 (gain: shared labels)", d, runs.map { f($0[keyPath: report].ndcg ?? 0) }) }
      for (d, report, _) in Self.directions { line("MAP within Hamming radius 2", d, runs.map { f($0[keyPath: report].mapWithinRadius) }) }
      for (i, (d, _, _)) in Self.directions.enumerated() { line("per-label MAP (mean over labels)", d, runs.map { f($0.labelMAP[i]) }) }
      if runs.contains(where: { $0.named != nil }) {
        line("a text naming one label: AP (mean over labels)", .t2i, runs.map { $0.named.map(f) ?? "—" })
      }
      if runs.contains(where: { $0.conjunctive != nil }) {
        line("texts of label names: every named label in the top 10", .t2i, runs.map { $0.conjunctive.map(f) ?? "—" })
      }
      out.append("")
    }
    for (i, citation) in citations.enumerated() {
      let benchmarks = published.compactMap { $0.figures }.filter { $0.citation == citation }.map(\.benchmark)
      out.append("[\(i + 1)] \(citation) (\(Set(benchmarks).sorted().joined(separator: ", ")), standard protocol).")
    }
    return out.joined(separator: "\n").trimmingCharacters(in: .newlines)
  }

  public func jsonLines() -> String {
    rows.flatMap { row in
      Self.directions.map { d, report, referenced -> String in
        let r = row[keyPath: report], n = { (x: Double) in JSONLine.Value.number(x, places: 4) }
        var fields: [(String, JSONLine.Value)] = [
          ("corpus", .string(row.run.corpus)), ("bits", .int(row.run.bits)), ("loss", .string(row.run.loss.rawValue)), ("direction", .string(d.rawValue)),
          ("map", n(r.map)), ("map_chance", n(r.mapChance)), ("ndcg_at_k", n(r.ndcg ?? 0)), ("k", .int(100)), ("map_radius", n(r.mapWithinRadius)),
          ("radius", .int(2)), ("queries", .int(r.queries)), ("retrieval", .int(r.database)), ("model", .string(row.model)),
          ("label_map", n(row.labelMAP[d == .i2t ? 0 : 1]))]
        if d == .t2i, let named = row.named { fields.append(("named_label_map", n(named))) }
        if d == .t2i, let c = row.conjunctive { fields.append(("conjunctive_all_at_10", n(c))) }
        let refs = labels.compactMap { label in reference(label, row.run).map { (label, n($0[keyPath: referenced])) } }
        if !refs.isEmpty { fields.append(("reference", .object(JSONLine(refs)))) }
        if let (figures, i2t, t2i) = paper(row.run) {
          fields += [("paper", n(d == .i2t ? i2t : t2i)), ("paper_method", .string(figures.method)), ("paper_citation", .string(figures.citation))]
        }
        return JSONLine(fields).text
      }
    }.joined(separator: "\n")
  }

  public func csv() -> String {
    let quote = { (s: String) in s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
    let f = { (x: Double) in String(format: "%.4f", x) }
    var lines = [(["corpus", "bits", "loss", "direction", "map", "map_chance", "ndcg_at_100", "map_radius_2", "label_map", "named_label_map", "conjunctive_all_at_10"] + labels + ["paper", "paper_citation"]).map(quote).joined(separator: ",")]
    for row in rows {
      for (d, report, referenced) in Self.directions {
        let r = row[keyPath: report], paper = paper(row.run)
        let conjunctive: String = d == .t2i ? row.conjunctive.map(f) ?? "" : "", named: String = d == .t2i ? row.named.map(f) ?? "" : ""
        let measured: [String] = [f(r.map), f(r.mapChance), f(r.ndcg ?? 0), f(r.mapWithinRadius), f(row.labelMAP[d == .i2t ? 0 : 1]), named, conjunctive]
        let cells = [row.run.corpus, "\(row.run.bits)", row.run.loss.rawValue, d.rawValue] + measured
          + labels.map { label in reference(label, row.run).map { f($0[keyPath: referenced]) } ?? "" }
          + [paper.map { f(d == .i2t ? $0.i2t : $0.t2i) } ?? "", paper?.0.citation ?? ""]
        lines.append(cells.map(quote).joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n")
  }
}
