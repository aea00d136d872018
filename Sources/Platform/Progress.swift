// Progress: a one-line progress bar on stderr, shown only on a terminal, as tqdm draws it: done/total,
// a smoothed rate, the time left in this bar and, for a run of epochs, in the whole run.

import Foundation

public final class ProgressBar {
  private let total: Int
  private let label: String
  private let enabled: Bool
  /// Named times left of what this bar is part of (the run, a plan of runs), given this bar's.
  private let etas: [(name: String, left: (Double) -> Double)]
  private var last = (time: Date(), done: 0)
  private var lastDraw = Date.distantPast
  /// Items a second, an exponential moving average of the rate between redraws (tqdm's 0.3).
  private var rate: Double?

  /// Shown only when stderr is a terminal and the user did not ask for quiet.
  public init(total: Int, label: String, quiet: Bool, etas: [(name: String, left: (Double) -> Double)] = []) {
    self.total = total
    self.label = label
    self.enabled = !quiet && isatty(STDERR_FILENO) == 1
    self.etas = etas
  }

  /// Redraws at most ten times a second; `detail` is appended (current loss, ...).
  public func update(_ done: Int, detail: String = "") {
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
    if let left { for eta in etas { line += "  \(eta.name) ETA " + Self.clock(eta.left(left)) } }
    line += "  " + detail
    FileHandle.standardError.write(Data(line.padding(toLength: max(line.count, 100), withPad: " ", startingAt: 0).utf8))
  }

  /// The moving average after `items` more in `seconds`; intervals too short to time keep the old value.
  public static func smoothed(_ rate: Double?, items: Int, seconds: Double) -> Double? {
    guard seconds >= 0.05, items >= 0 else { return rate }
    let now = Double(items) / seconds
    return rate.map { 0.3 * now + 0.7 * $0 } ?? now
  }

  /// Clears the line.
  public func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(("\r" + String(repeating: " ", count: 100) + "\r").data(using: .utf8)!)
  }

  public static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds < 360_000 else { return "–" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }

  public static func count(_ x: Double) -> String { x >= 100 ? String(format: "%.0f", x) : String(format: "%.1f", x) }
}

/// The time left in a run of epochs, each made of the same phases (image pass, text pass): the
/// current phase from its bar, the later phases and epochs from how long the last ones took.
public final class EpochClock {
  public let epochs: Int
  private var seconds: [Double?]
  private var current: (phase: Int, start: Date)?

  public init(epochs: Int, phases: Int) {
    self.epochs = epochs
    seconds = Array(repeating: nil, count: phases)
  }

  /// A phase begins: the one before it ends (its time includes the work between the two).
  public func begin(phase: Int, at time: Date = Date()) {
    if let current { seconds[current.phase] = time.timeIntervalSince(current.start) }
    current = (phase, time)
  }

  /// Seconds left in the run from phase `phase` of the 0-based `epoch`, with `phaseLeft` left in it.
  public func remaining(epoch: Int, phase: Int, phaseLeft: Double, at time: Date = Date()) -> Double {
    // A phase not yet timed is guessed to take as long as the current one will.
    let guess = (current.map { time.timeIntervalSince($0.start) } ?? 0) + phaseLeft
    let each = seconds.map { $0 ?? guess }
    let laterPhases = each.dropFirst(phase + 1).reduce(0, +)
    return phaseLeft + laterPhases + Double(max(0, epochs - epoch - 1)) * each.reduce(0, +)
  }
}

/// A bar for each pass of a run of epochs (an image pass, a text pass), labelled "epoch n/N image",
/// with the whole run's time left: what `cmh train` and `cmh distill` show.
public final class EpochBars {
  private let clock: EpochClock
  private let items: Int, batchSize: Int, quiet: Bool
  private let plan: PlanClock?
  private let started = Date()
  private var bar: ProgressBar?

  /// With `plan`, the run is one of several: the label names it and a second ETA covers them all.
  public init(epochs: Int, items: Int, batchSize: Int, quiet: Bool, plan: PlanClock? = nil) {
    clock = EpochClock(epochs: epochs, phases: 2)
    self.items = items; self.batchSize = batchSize; self.quiet = quiet; self.plan = plan
  }

  /// `done` items of pass `pass` (0: image, 1: text) of the 0-based `epoch`; a new pass starts a new bar.
  public func update(epoch: Int, pass: Int, done: Int, detail: String) {
    if done <= batchSize || bar == nil {
      bar?.finish()
      clock.begin(phase: pass)
      let (clock, plan, started) = (clock, plan, started)
      let runLeft = { (passLeft: Double) in clock.remaining(epoch: epoch, phase: pass, phaseLeft: passLeft) }
      var etas: [(name: String, left: (Double) -> Double)] = [("run", runLeft)]
      if let plan {
        etas.append(("all runs", { let left = runLeft($0); return left + plan.after(thisRun: Date().timeIntervalSince(started) + left) }))
      }
      bar = ProgressBar(total: items, label: Self.label(epoch: epoch, of: clock.epochs, pass: pass, plan: plan), quiet: quiet, etas: etas)
    }
    bar?.update(done, detail: detail)
  }

  /// "run 2/4 epoch 3/30 image": where the run stands, in people's words.
  public static func label(epoch: Int, of epochs: Int, pass: Int, plan: PlanClock?) -> String {
    (plan.map { "run \($0.current + 1)/\($0.runs) " } ?? "") + "epoch \(epoch + 1)/\(epochs) \(pass == 0 ? "image" : "text")"
  }

  /// Clears the bar (at the end of an epoch, before its line is printed).
  public func finish() {
    bar?.finish()
    bar = nil
  }
}

/// Where a plan of runs stands (`cmh experiment table`): which run is current and how long the
/// finished ones took, for the time left in all of them.
public final class PlanClock {
  public let runs: Int
  public private(set) var current = 0
  private var seconds = [Double]()

  public init(runs: Int) { self.runs = runs }

  /// The current run ended after `seconds`; the next one is current.
  public func finished(after seconds: Double) {
    self.seconds.append(seconds)
    current += 1
  }

  /// Seconds of the current run and those after it, from the finished ones (nil before one has).
  public var remaining: Double? {
    seconds.isEmpty ? nil : Double(runs - current) * seconds.reduce(0, +) / Double(seconds.count)
  }

  /// Seconds of the runs after the current one: as long as the finished ones took on average,
  /// or, before any has finished, as long as this one is expected to take.
  public func after(thisRun projected: Double) -> Double {
    let each = seconds.isEmpty ? projected : seconds.reduce(0, +) / Double(seconds.count)
    return Double(max(0, runs - current - 1)) * each
  }
}

/// One bar per stage of work reported as (stage, done, total); a new stage replaces the bar.
public final class StageProgress {
  private let quiet: Bool
  private var bar: ProgressBar?
  private var stage = ""

  public init(quiet: Bool) { self.quiet = quiet }

  public func update(_ stage: String, _ done: Int, _ total: Int) {
    if stage != self.stage {
      bar?.finish()
      bar = ProgressBar(total: total, label: stage, quiet: quiet)
      self.stage = stage
    }
    bar?.update(done)
  }

  public func finish() {
    bar?.finish()
    bar = nil
    stage = ""
  }
}
