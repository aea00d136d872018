// Progress: a one-line progress bar with items/s and ETA on stderr, shown only on a terminal.

import Foundation

final class Progress {
  private let total: Int
  private let label: String
  private let enabled: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast

  /// Shown only when stderr is a terminal and the user did not ask for quiet.
  init(total: Int, label: String, quiet: Bool) {
    self.total = total
    self.label = label
    self.enabled = !quiet && isatty(STDERR_FILENO) == 1
  }

  /// Redraws at most ten times a second; `detail` is appended (current loss, ...).
  func update(_ done: Int, detail: String = "") {
    guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
    lastDraw = Date()
    let elapsed = Date().timeIntervalSince(start)
    let rate = Double(done) / max(elapsed, 1e-9)
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let width = 24, filled = total > 0 ? width * done / total : width
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let line = String(format: "\r%@ %@ %d/%d  %.1f/s  ETA %@  %@", label, bar, done, total, rate, Self.clock(eta), detail)
    FileHandle.standardError.write(line.padding(toLength: max(line.count, 100), withPad: " ", startingAt: 0).data(using: .utf8)!)
  }

  /// Clears the line.
  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(("\r" + String(repeating: " ", count: 100) + "\r").data(using: .utf8)!)
  }

  static func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}

/// One bar per stage of work reported as (stage, done, total); a new stage replaces the bar.
final class StageProgress {
  private let quiet: Bool
  private var bar: Progress?
  private var stage = ""

  init(quiet: Bool) { self.quiet = quiet }

  func update(_ stage: String, _ done: Int, _ total: Int) {
    if stage != self.stage {
      bar?.finish()
      bar = Progress(total: total, label: stage, quiet: quiet)
      self.stage = stage
    }
    bar?.update(done)
  }

  func finish() {
    bar?.finish()
    bar = nil
    stage = ""
  }
}
