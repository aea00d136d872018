// AugmentationReport: what `cmh augment` prints of an augmentation folder it wrote — the synthetic
// and real pairs per label, or the summary as JSON.

import Foundation
import Platform

extension AugmentationSummary {
  /// The summary as a table of label counts, or as JSON.
  public func report(console: Console, out: String, corpus: String) {
    let s = self
    if console.json {
      console.result((try? JSON.text(s)) ?? "{}")
      return
    }
    console.result("\(s.method): \(s.syntheticPairs) synthetic pairs for \(s.realPairs) real training pairs" + (s.target.map { ", towards \($0) pairs a label" } ?? ""))
    let width = max(s.labels.map(\.count).max() ?? 0, 5)
    console.result("label".padding(toLength: width, withPad: " ", startingAt: 0) + "      real   synthetic     total")
    for (l, name) in s.labels.enumerated() {
      console.result(name.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(format: "  %8d %11d %9d", s.realCounts[l], s.syntheticCounts[l], s.realCounts[l] + s.syntheticCounts[l]))
    }
    console.result("wrote \(out) — train with `cmh train \(corpus) --augment \(out) --out MODEL`")
  }
}
