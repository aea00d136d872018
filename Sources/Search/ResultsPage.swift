// ResultsPage: one search as a self-contained HTML page — the query (its text, or the image with
// its labels and caption), then the results with thumbnails or texts, in tie groups when ranked by
// Hamming distance alone. Images are linked relative to the page, so that the page and its
// collection can move together; the labels the query names are marked.

import Foundation

public enum ResultsPage {
  public static func render(_ answer: SearchAnswer, pageFolder: URL) -> String {
    var page = "<!doctype html>\n<meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>cmh search</title>\n<style>"
    page += "body{font-family:sans-serif;margin:24px auto;max-width:1240px;padding:0 20px;color:#222}h1{font-size:22px;font-weight:normal}"
    page += ".query{display:flex;gap:16px;align-items:flex-start;margin-bottom:12px}.query img{width:192px;height:auto}"
    page += ".group h2{font-size:14px;font-weight:normal;color:#555;border-bottom:1px solid #e4e4e4;padding-bottom:4px;margin:18px 0 8px}"
    page += ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:14px}"
    page += "figure{margin:0}figure img{width:100%;height:auto;image-rendering:pixelated;border:1px solid #ccc;border-radius:3px}"
    page += "figcaption,.d{font-size:13px;color:#666}li{margin:8px 0}b{color:#064}</style>\n"
    page += header(answer, pageFolder: pageFolder)
    // Ranked by distance alone, results come in tie groups; re-ranked, in one list with their scores.
    let grouped = answer.rerank == "none"
    let groups = grouped ? Dictionary(grouping: answer.results, by: \.distance).sorted { $0.key < $1.key }.map(\.value) : [answer.results]
    for group in groups {
      let first = group[0]
      page += "<section class=group>" + (grouped ? "<h2>distance \(first.distance) — \(first.tied) item\(first.tied == 1 ? "" : "s") of the index at this distance</h2>" : "")
      page += answer.target == "image" ? "<div class=grid>\n" : "<ol start=\(first.rank)>\n"
      for r in group { page += answer.target == "image" ? figure(r, grouped: grouped, pageFolder: pageFolder) : item(r, grouped: grouped) }
      page += answer.target == "image" ? "</div></section>\n" : "</ol></section>\n"
    }
    return page + "<p class=d>\(answer.results.count) of \(answer.size) items; \(escape(answer.ties)).</p>\n"
  }

  private static func header(_ answer: SearchAnswer, pageFolder: URL) -> String {
    let target = answer.target == "image" ? "Images" : "Texts"
    let q = answer.query
    var known = [String]()
    if let labels = q.labels, !labels.isEmpty { known.append("labels: " + labels.map { "<b>\(escape($0))</b>" }.joined(separator: ", ")) }
    if let caption = q.caption { known.append("“\(escape(caption))”") }
    let about = known.isEmpty ? "" : "<div class=d>\(known.joined(separator: "<br>"))</div>"
    switch q.kind {
    case "text":
      let ignored = answer.ignored.isEmpty ? "" : "<p class=d>not in the vocabulary, ignored: \(escape(answer.ignored.joined(separator: ", ")))</p>"
      return "<h1>\(target) for “\(escape(q.text ?? ""))”</h1>\(ignored)\n"
    case "image":
      return "<h1>\(target) for this image</h1><div class=query><img src=\"\(escape(link(q.image ?? "", from: pageFolder)))\" alt=\"the query image\">\(about)</div>\n"
    default:
      return "<h1>\(target) for item \(escape(q.id ?? ""))</h1>\(about)\n"
    }
  }

  private static func figure(_ r: SearchResult, grouped: Bool, pageFolder: URL) -> String {
    "<figure><img src=\"\(escape(link(r.image ?? "", from: pageFolder)))\" alt=\"\(escape(r.id))\"><figcaption>\(r.rank). \(escape(r.id))"
      + (grouped ? "" : " · distance \(r.distance) (\(r.tied) tied)\(score(r))") + "<br>\(labels(r))</figcaption></figure>\n"
  }

  private static func item(_ r: SearchResult, grouped: Bool) -> String {
    "<li>\(escape(r.text ?? "")) <span class=d>(\(escape(r.id))" + (grouped ? "" : ", distance \(r.distance), \(r.tied) tied\(score(r))")
      + "; \(labels(r)))</span></li>\n"
  }

  private static func labels(_ r: SearchResult) -> String {
    r.labels.map { r.matched.contains($0) ? "<b>\(escape($0))</b>" : escape($0) }.joined(separator: ", ")
  }

  private static func score(_ r: SearchResult) -> String { r.score.map { String(format: ", score %.3f", $0) } ?? "" }

  /// `path` as a link from a page in `folder`: relative, percent-encoded.
  public static func link(_ path: String, from folder: URL) -> String {
    let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents, base = folder.standardizedFileURL.pathComponents
    var shared = 0
    while shared < min(target.count - 1, base.count) && target[shared] == base[shared] { shared += 1 }
    let relative = Array(repeating: "..", count: base.count - shared) + target[shared...]
    return relative.joined(separator: "/").addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
  }

  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
