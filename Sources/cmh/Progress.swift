// Progress: a one-line progress bar on stderr, shown only on a terminal, as tqdm draws it: done/total,
// a smoothed rate, the time left in this bar and, for a run of epochs, in the whole run.

import Foundation

final class Progress {
  private let total: Int
  private let label: String
  private let enabled: Bool
  /// The whole run's time left, given this bar's (nil: the bar is the whole run).
  private let runLeft: ((Double) -> Double)?
  private var last = (time: Date(), done: 0)
  private var lastDraw = Date.distantPast
  /// Items a second, an exponential moving average of the rate between redraws (tqdm's 0.3).
  private var rate: Double?

  /// Shown only when stderr is a terminal and the user did not ask for quiet.
  init(total: Int, label: String, quiet: Bool, runLeft: ((Double) -> Double)? = nil) {
    self.total = total
    self.label = label
    self.enabled = !quiet && isatty(STDERR_FILENO) == 1
    self.runLeft = runLeft
  }

  /// Redraws at most ten times a second; `detail` is appended (current loss, ...).
  func update(_ done: Int, detail: String = "") {
    guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
    let now = Date()
    lastDraw = now
    rate = Self.smoothed(rate, items: done - last.done, seconds: now.timeIntervalSince(last.time))
    if now.timeIntervalSince(last.time) >= 0.05 { last = (now, done) }
    let left = rate.map { Double(total - done) / max($0, 1e-9) }
    let width = 24, filled = total > 0 ? width * min(done, total) / total : width
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    var line = "\r\(label) \(bar) \(done)/\(total)  " + (rate.map { Self.count($0) + "/s" } ?? "–/s")
    line += "  ETA " + (left.map(Self.clock) ?? "–")
    if let runLeft, let left { line += "  run ETA " + Self.clock(runLeft(left)) }
    line += "  " + detail
    FileHandle.standardError.write(Data(line.padding(toLength: max(line.count, 100), withPad: " ", startingAt: 0).utf8))
  }

  /// The moving average after `items` more in `seconds`; intervals too short to time keep the old value.
  static func smoothed(_ rate: Double?, items: Int, seconds: Double) -> Double? {
    guard seconds >= 0.05, items >= 0 else { return rate }
    let now = Double(items) / seconds
    return rate.map { 0.3 * now + 0.7 * $0 } ?? now
  }

  /// Clears the line.
  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(("\r" + String(repeating: " ", count: 100) + "\r").data(using: .utf8)!)
  }

  static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds < 360_000 else { return "–" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }

  static func count(_ x: Double) -> String { x >= 100 ? String(format: "%.0f", x) : String(format: "%.1f", x) }
}

/// The time left in a run of epochs, each made of the same phases (image pass, text pass): the
/// current phase from its bar, the later phases and epochs from how long the last ones took.
final class EpochClock {
  let epochs: Int
  private var seconds: [Double?]
  private var current: (phase: Int, start: Date)?

  init(epochs: Int, phases: Int) {
    self.epochs = epochs
    seconds = Array(repeating: nil, count: phases)
  }

  /// A phase begins: the one before it ends (its time includes the work between the two).
  func begin(phase: Int, at time: Date = Date()) {
    if let current { seconds[current.phase] = time.timeIntervalSince(current.start) }
    current = (phase, time)
  }

  /// Seconds left in the run from phase `phase` of the 0-based `epoch`, with `phaseLeft` left in it.
  func remaining(epoch: Int, phase: Int, phaseLeft: Double, at time: Date = Date()) -> Double {
    // A phase not yet timed is guessed to take as long as the current one will.
    let guess = (current.map { time.timeIntervalSince($0.start) } ?? 0) + phaseLeft
    let each = seconds.map { $0 ?? guess }
    let laterPhases = each.dropFirst(phase + 1).reduce(0, +)
    return phaseLeft + laterPhases + Double(max(0, epochs - epoch - 1)) * each.reduce(0, +)
  }
}

/// A bar for each pass of a run of epochs (an image pass, a text pass), labelled "epoch n/N image",
/// with the whole run's time left: what `cmh train` and `cmh distill` show.
final class EpochBars {
  private let clock: EpochClock
  private let items: Int, batchSize: Int, quiet: Bool
  private var bar: Progress?

  init(epochs: Int, items: Int, batchSize: Int, quiet: Bool) {
    clock = EpochClock(epochs: epochs, phases: 2)
    self.items = items; self.batchSize = batchSize; self.quiet = quiet
  }

  /// `done` items of pass `pass` (0: image, 1: text) of the 0-based `epoch`; a new pass starts a new bar.
  func update(epoch: Int, pass: Int, done: Int, detail: String) {
    if done <= batchSize || bar == nil {
      bar?.finish()
      clock.begin(phase: pass)
      let clock = clock
      bar = Progress(total: items, label: "epoch \(epoch + 1)/\(clock.epochs) \(pass == 0 ? "image" : "text")", quiet: quiet) {
        clock.remaining(epoch: epoch, phase: pass, phaseLeft: $0)
      }
    }
    bar?.update(done, detail: detail)
  }

  /// Clears the bar (at the end of an epoch, before its line is printed).
  func finish() {
    bar?.finish()
    bar = nil
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
