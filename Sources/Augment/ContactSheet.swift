// ContactSheet: a page that shows whether the generator renders the rare concepts — for the rarest
// label sets it generated, a row of its samples beside real training images of the same set. One
// self-contained HTML file (the images inline as PNG data), so it opens anywhere.

import Corpus
import Foundation
import Model
import Platform

struct ContactSheet {
  let corpus: Corpus
  let cache: PixelCache
  let size: Int
  var rows = 12, samplesPerRow = 8, realPerRow = 4

  /// Writes the sheet for `generated` (label set, HWC pixels) to `url`, rarest sets first.
  func write(generated: [([Int], [UInt8])], plan: BalancePlan, to url: URL) throws {
    var bySet = [[Int]: [[UInt8]]]()
    for (set, pixels) in generated { bySet[set.sorted(), default: []].append(pixels) }
    let real = Dictionary(grouping: corpus.splits?.train ?? []) { corpus.pairs[$0].labels.sorted() }
    let rarity = { (set: [Int]) in set.map { plan.realCounts[$0] }.min() ?? 0 }
    let chosen = bySet.keys.sorted { rarity($0) != rarity($1) ? rarity($0) < rarity($1) : $0.lexicographicallyPrecedes($1) }.prefix(rows)
    var html = """
      <!doctype html><meta charset="utf-8"><title>Generated pairs: contact sheet</title>
      <style>body{font:14px sans-serif;margin:1em}td{padding:4px;vertical-align:middle}img{width:64px;height:64px;image-rendering:pixelated;margin:1px}
      .real{border-left:3px solid #888;padding-left:8px}</style>
      <h1>Generated images beside real ones</h1>
      <p>\(escape(corpus.info.name)): the \(chosen.count) rarest label sets that were generated (\(generated.count) images in all, \(size)×\(size)).
      Left: generated; right: real training images of the same label set.</p><table>
      """
    for set in chosen {
      let names = set.map { corpus.info.labels[$0] }.joined(separator: ", ")
      let samples = bySet[set]!.prefix(samplesPerRow).map(image).joined()
      let examples = (real[set] ?? []).prefix(realPerRow).map { image(cache.pixels(of: $0)) }.joined()
      html += "<tr><td>\(escape(names))<br><small>\(bySet[set]!.count) generated, \(real[set]?.count ?? 0) real</small></td><td>\(samples)</td><td class=real>\(examples)</td></tr>\n"
    }
    html += "</table>\n"
    try AtomicFile.write(Data(html.utf8), to: url)
  }

  private func image(_ pixels: [UInt8]) -> String {
    let png = (try? PNG.encode(RGBImage(width: size, height: size, pixels: pixels))) ?? Data()
    return "<img src=\"data:image/png;base64,\(png.base64EncodedString())\">"
  }

  private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }
}
