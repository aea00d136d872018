// AnswerOutput: a search's answer as a person or a program reads it — a table of the first results
// (or a JSON line each) on stdout, and all of them as an HTML page.

import Foundation
import Platform

public enum AnswerOutput {
  /// Prints the first `printed` results (a table, or a JSON line each; all when nil) and writes the
  /// page `html` names with all of them.
  public static func show(_ answer: SearchAnswer, console: Console, html: String?, printed: Int? = nil) throws {
    let shown = answer.results.prefix(printed ?? answer.results.count)
    if console.json {
      for r in shown { console.result(try JSON.text(r)) }
    } else {
      let scored = answer.rerank != "none"
      print("rank  dist" + (scored ? "   score" : "") + "  id  \(answer.target)  [labels]")
      for r in shown {
        let labels = r.labels.isEmpty ? "" : "  [\(r.labels.joined(separator: ", "))]"
        let score = scored ? String(format: "  %6.3f", r.score ?? 0) : ""
        print(String(format: "%4d  %3d", r.rank, r.distance) + score + "  \(r.id)  \(r.image ?? r.text ?? "")" + labels)
      }
      var groups = [Int: Int]()
      for r in shown { groups[r.distance] = r.tied }
      if !groups.isEmpty {
        print("in the index: " + groups.sorted { $0.key < $1.key }.map { "\($0.value) at distance \($0.key)" }.joined(separator: ", ") + "; order: \(answer.ties)")
      }
    }
    fflush(stdout)  // the results before the "wrote" line, also when both streams go to one pipe
    if let html {
      let url = URL(fileURLWithPath: html)
      try AtomicFile.write(ResultsPage.render(answer, pageFolder: url.deletingLastPathComponent()), to: url)
      console.note("wrote \(html)")
    }
  }
}
