// SVGPlot: a line chart as a standalone SVG file a person can open in a browser.

import Foundation
import Platform

public struct SVGPlot {
  public let title: String, xLabel: String, yLabel: String
  /// Named series of (x, y) points; y in 0...1.
  public var series: [(name: String, points: [(Double, Double)])]
  /// A dashed level drawn across the plot with its name (the precision of a random ranking).
  public var level: (name: String, y: Double)? = nil

  public init(title: String, xLabel: String, yLabel: String, series: [(name: String, points: [(Double, Double)])], level: (name: String, y: Double)? = nil) {
    (self.title, self.xLabel, self.yLabel, self.series, self.level) = (title, xLabel, yLabel, series, level)
  }

  public func render() -> String {
    // The legend column is as wide as its longest name (about 7 px a character at 12 px).
    let names = series.map(\.name) + (level.map { [$0.name] } ?? [])
    let right = max(150.0, 7.0 * Double(names.map(\.count).max() ?? 0) + 24)
    let (w, h, left, bottom, top) = (490.0 + right, 420.0, 60.0, 50.0, 40.0)
    let xs = series.flatMap { $0.points.map(\.0) }
    let xMin = min(xs.min() ?? 0, 0), xMax = max(xs.max() ?? 1, xMin + 1e-9)
    let px = { (x: Double) in left + (x - xMin) / (xMax - xMin) * (w - left - right) }
    let py = { (y: Double) in h - bottom - y * (h - bottom - top) }
    var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(w))" height="\#(Int(h))" font-family="sans-serif" font-size="12">"#
    svg += #"<rect width="100%" height="100%" fill="white"/><text x="\#(w / 2)" y="22" text-anchor="middle" font-size="15">\#(SVGText.escape(title))</text>"#
    for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
      svg += #"<line x1="\#(left)" x2="\#(w - right)" y1="\#(py(tick))" y2="\#(py(tick))" stroke="lightgray"/>"#
      svg += #"<text x="\#(left - 6)" y="\#(py(tick) + 4)" text-anchor="end">\#(String(format: "%.1f", tick))</text>"#
    }
    for i in 0...4 {
      let x = xMin + (xMax - xMin) * Double(i) / 4
      svg += #"<text x="\#(px(x))" y="\#(h - bottom + 18)" text-anchor="middle">\#(String(format: x >= 10 ? "%.0f" : "%.2g", x))</text>"#
    }
    svg += #"<line x1="\#(left)" x2="\#(w - right)" y1="\#(h - bottom)" y2="\#(h - bottom)" stroke="black"/><line x1="\#(left)" x2="\#(left)" y1="\#(top)" y2="\#(h - bottom)" stroke="black"/>"#
    svg += #"<text x="\#((left + w - right) / 2)" y="\#(h - 12)" text-anchor="middle">\#(SVGText.escape(xLabel))</text>"#
    svg += #"<text transform="translate(16 \#((top + h - bottom) / 2)) rotate(-90)" text-anchor="middle">\#(SVGText.escape(yLabel))</text>"#
    let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    for (i, s) in series.enumerated() {
      let colour = colours[i % colours.count]
      let path = s.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
      svg += #"<polyline fill="none" stroke="\#(colour)" stroke-width="2" points="\#(path)"/>"#
      svg += #"<text x="\#(w - right + 10)" y="\#(top + 16 + Double(i) * 18)" fill="\#(colour)">\#(SVGText.escape(s.name))</text>"#
    }
    if let level {
      svg += #"<line x1="\#(left)" x2="\#(w - right)" y1="\#(py(level.y))" y2="\#(py(level.y))" stroke="gray" stroke-width="1.5" stroke-dasharray="6 4"/>"#
      svg += #"<text x="\#(w - right + 10)" y="\#(top + 16 + Double(series.count) * 18)" fill="gray">\#(SVGText.escape(level.name))</text>"#
    }
    return svg + "</svg>\n"
  }
}

public enum SVGText {
  /// Text as SVG character data (label names come from users' files).
  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }
}

/// Writes plots into the folder an `--svg` option names (every command's `--svg` is a folder).
public enum SVGFiles {
  public static func write(_ svg: String, named name: String, into folder: String, console: Console) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
    try AtomicFile.write(svg, to: url)
    console.note("wrote \(url.path)")
  }

  /// A model's name in a legend: its file name, code length and MAP@all.
  public static func legend(_ path: String, bits: Int, map: Double) -> String {
    "\(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent), \(bits) bits, MAP \(String(format: "%.3f", map))"
  }

  /// The random ranking's line: its MAP, which is also its precision at every recall on average.
  public static func chance(_ map: Double) -> (name: String, y: Double) { ("chance, MAP \(String(format: "%.3f", map))", map) }
}

/// A bar chart (label histograms) as a standalone SVG file.
public struct SVGBarChart {
  public let title: String
  public let bars: [(String, Int)]

  public init(title: String, bars: [(String, Int)]) { (self.title, self.bars) = (title, bars) }

  public func render() -> String {
    let barWidth = 22.0, left = 60.0, bottom = 110.0, top = 40.0, h = 420.0
    let w = left + Double(bars.count) * barWidth + 20
    let most = Double(max(bars.map(\.1).max() ?? 1, 1))
    var svg = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(w))" height="\#(Int(h))" font-family="sans-serif" font-size="11">"#
    svg += #"<rect width="100%" height="100%" fill="white"/><text x="\#(w / 2)" y="22" text-anchor="middle" font-size="15">\#(SVGText.escape(title))</text>"#
    for (i, (name, count)) in bars.enumerated() {
      let x = left + Double(i) * barWidth, height = Double(count) / most * (h - bottom - top)
      svg += #"<rect x="\#(x + 2)" y="\#(h - bottom - height)" width="\#(barWidth - 4)" height="\#(height)" fill="steelblue"><title>\#(SVGText.escape(name)): \#(count)</title></rect>"#
      svg += #"<text transform="translate(\#(x + barWidth / 2 + 4) \#(h - bottom + 6)) rotate(60)">\#(SVGText.escape(name))</text>"#
    }
    svg += #"<text x="\#(left - 6)" y="\#(top + 4)" text-anchor="end">\#(Int(most))</text><text x="\#(left - 6)" y="\#(h - bottom)" text-anchor="end">0</text>"#
    return svg + "</svg>\n"
  }
}
