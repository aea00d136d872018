// ResultsPage: one search as a self-contained HTML page — the query, then the results with
// thumbnails or texts. Images are linked relative to the page, so that the page and its
// collection can move together; the labels the query names are marked.

import Foundation

public enum ResultsPage {
  public static func render(_ answer: SearchAnswer, pageFolder: URL) -> String {
    var page = "<!doctype html>\n<meta charset=\"utf-8\"><title>cmh search</title>\n"
    page += "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;width:180px;margin:8px;vertical-align:top}"
    page += "img{width:160px;image-rendering:pixelated;border:1px solid #ccc}li{margin:6px 0}.d{color:#666}b{color:#064}</style>\n"
    let target = answer.target == "image" ? "Images" : "Texts"
    switch answer.query.kind {
    case "text": page += "<h1>\(target) for “\(escape(answer.query.text ?? ""))”</h1>\n"
    case "image": page += "<h1>\(target) for this image</h1><img src=\"\(escape(link(answer.query.image ?? "", from: pageFolder)))\">\n"
    default: page += "<h1>\(target) for item \(escape(answer.query.id ?? ""))</h1>\n"
    }
    let labels = { (r: SearchResult) in
      r.labels.map { r.matched.contains($0) ? "<b>\(escape($0))</b>" : escape($0) }.joined(separator: ", ")
    }
    if answer.target == "image" {
      for r in answer.results {
        page += "<figure><img src=\"\(escape(link(r.image ?? "", from: pageFolder)))\"><figcaption>\(r.rank). \(escape(r.id)) "
          + "<span class=d>distance \(r.distance) (\(r.tied) tied)\(score(r))</span><br>\(labels(r))</figcaption></figure>\n"
      }
    } else {
      page += "<ol>\n"
      for r in answer.results {
        page += "<li>\(escape(r.text ?? "")) <span class=d>(\(escape(r.id)), distance \(r.distance), \(r.tied) tied\(score(r)); \(labels(r)))</span></li>\n"
      }
      page += "</ol>\n"
    }
    return page + "<p class=d>\(escape(answer.ties)).</p>\n"
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
