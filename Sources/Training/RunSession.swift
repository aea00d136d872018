// RunSession: what a person sees and keeps while an AlternatingLoop runs — `cmh train`,
// `cmh distill`, the demo and the experiment table alike: progress bars per phase (with the ETA
// of the run and of a whole plan), one row per epoch (a table row, or JSON with --json) also
// appended to a log file, checkpoints (after the first and the last epoch, and between them at most one every `checkpointInterval` seconds), Ctrl-C that checkpoints and stops, and
// the message that says how to continue.

import Foundation
import Model
import Platform

/// An epoch's report as a row of the epoch table and as a JSON log line.
public protocol EpochRow {
  var epoch: Int { get }
  var seconds: Double { get }
  static var tableHeader: String { get }
  func tableRow(itemsPerSecond: Double) -> String
  func fields(itemsPerSecond: Double) -> [(String, JSONLine.Value)]
  /// Lines under the row: what went wrong in the epoch and what was done about it.
  var notes: [String] { get }
}

public final class RunSession {
  public let console: Console
  public let checkpoint: URL
  public let log: URL?
  /// What the message after Ctrl-C tells the person to do next.
  public var resumeHint = "continue with --resume"
  /// The plan this run is one of (`cmh experiment table`), for the progress bar.
  public var plan: PlanClock?
  /// The epoch rows are the command's report, on stdout. Where stdout is something else (the
  /// experiment table's), they are progress: on stderr, and not at all with --json or --quiet
  /// (the log file keeps them).
  public var epochRowsAreProgress = false
  /// Seconds between checkpoints: one after the first epoch and after the last, and between them
  /// at most one this often (a model of hundreds of megabytes with second-long epochs would spend
  /// most of its time writing). Ctrl-C saves first whatever the time.
  public var checkpointInterval: TimeInterval = 20
  /// The stage of a run of several (pre-training, training), added to each epoch's JSON row.
  public var stage: String?
  private let stop = StopFlag.shared
  /// Whether this process writes the run's files: always, except on the ranks of an mpirun job
  /// other than 0, which train beside it.
  public var writesFiles: Bool { MPI.world?.isRoot ?? true }

  public init(console: Console, checkpoint: URL, log: URL?) {
    self.console = console
    self.checkpoint = checkpoint
    self.log = log
  }

  /// Builds a run with a progress bar over each stage of its preparation (decoding, outputs).
  public func prepare<Run>(_ make: (_ progress: @escaping (String, Int, Int) -> Void) throws -> Run) throws -> Run {
    let bar = console.stages()
    defer { bar.finish() }
    do { return try make(bar.update) } catch let error as UnreadableImage { throw Self.unreadable(error.description) }
  }

  /// Before a run that writes `out`: a killed run's half-written files go; resuming needs the
  /// checkpoint, a new run starts a new log. Returns `resume`.
  public func begin(writing out: URL, resume: Bool) throws -> Bool {
    if writesFiles { for url in [out, checkpoint] { AtomicFile.removeStaleTemporaries(of: url) } }
    if resume {
      guard FileManager.default.fileExists(atPath: checkpoint.path) else {
        throw TrainingError(description: "\(checkpoint.path): no checkpoint to resume from (it is written as the run trains)")
      }
    } else if let log, writesFiles {
      try? FileManager.default.removeItem(at: log)
    }
    return resume
  }

  /// An image of the corpus could not be decoded while the run read it.
  public static func unreadable(_ failure: String) -> TrainingError {
    TrainingError(description: "\(failure)\nnothing was saved; mend or remove that image (`cmh corpus validate` lists every problem) and run again")
  }

  /// Runs `loop` to `epochs`: `save` writes the checkpoint, `detail` says a batch's loss on the
  /// bar, `validate` adds columns to an epoch's row, `failure` stops the run with an error.
  /// Throws after saving a checkpoint when interrupted.
  public func run<Steps: AlternatingSteps>(_ loop: AlternatingLoop<Steps>, epochs: Int, save: () throws -> Void,
                                           detail: (Steps.Loss) -> String, validation: Validation? = nil,
                                           failure: () -> String? = { nil }) throws -> Steps.Report? where Steps.Report: EpochRow {
    header(Steps.Report.self, validation: validation)
    stop.install()
    defer { stop.uninstall() }
    let steps = loop.steps
    let bars = EpochBars(epochs: epochs, items: steps.count, batchSize: steps.batchSize, quiet: console.quiet, plan: plan)
    var last: Steps.Report?, saved = Date.distantPast
    let writes = writesFiles
    // Under mpirun rank 0 decides, so that every rank stops at the same batch.
    let stop = self.stop
    let shouldStop = { MPI.world.map { $0.agree(stop.isSet || failure() != nil) } ?? (stop.isSet || failure() != nil) }
    let finished = loop.run(epochs: epochs, shouldStop: shouldStop, onBatch: { phase, done, loss in
      bars.update(epoch: loop.epoch, pass: phase.rawValue, done: done, detail: detail(loss))
    }, onEpoch: { report in
      bars.finish()
      last = report
      let columns = validation.flatMap { v in report.epoch % v.every == 0 ? v.measure() : nil }
      row(report, items: steps.count, validation: columns.map { (validation!, $0) })
      // Rank 0's clock decides, and every rank makes the optimiser's state whole for its checkpoint.
      let due = report.epoch == epochs || Date().timeIntervalSince(saved) >= checkpointInterval
      guard MPI.world.map({ $0.agree(due) }) ?? due else { return }
      steps.settle(optimizerState: true)
      guard writes else { return }
      do { try save() } catch { console.warn("\(error)") }
      saved = Date()
    })
    bars.finish()
    if let failure = failure() { throw Self.unreadable(failure) }
    if !finished {
      if writes { try save() }
      throw TrainingError(description: "interrupted in epoch \(loop.epoch + 1); saved \(checkpoint.path) — \(resumeHint)")
    }
    return last
  }

  /// Columns measured every `every` epochs (validation MAP), by JSON name and title.
  public struct Validation {
    public var every: Int
    public var columns: [(json: String, title: String)]
    /// The columns' values, or nil when they cannot be measured (said as a warning).
    public var measure: () -> [Double]?

    public init(every: Int, columns: [(json: String, title: String)], measure: @escaping () -> [Double]?) {
      (self.every, self.columns, self.measure) = (every, columns, measure)
    }
  }

  /// An epoch row or a heading, where `epochRowsAreProgress` says.
  public func show(_ line: String) {
    guard epochRowsAreProgress else { console.result(line); return }
    if !console.json { console.note(line) }
  }

  public func header<Report: EpochRow>(_ report: Report.Type, validation: Validation? = nil) {
    if !console.json { show(report.tableHeader + (validation?.columns.map { "   " + $0.title.rightAligned(9) }.joined() ?? "")) }
  }

  /// Shows an epoch's row and appends it to the log; `extra` adds fields (a stage's name).
  public func row<Report: EpochRow>(_ r: Report, items: Int, validation: (Validation, [Double])? = nil, extra: [(String, JSONLine.Value)] = []) {
    let rate = Double(items) / max(r.seconds, 1e-9)
    var fields = r.fields(itemsPerSecond: rate)
    if let (v, values) = validation { fields += zip(v.columns, values).map { ($0.json, .number($1, places: 4)) } }
    fields += extra + (stage.map { [("stage", .string($0))] } ?? [])
    if !r.notes.isEmpty { fields.append(("collapse", .strings(r.notes))) }
    let json = JSONLine(fields).text
    if let log, writesFiles { JSONLine.append(json, to: log) }
    if console.json { show(json); return }
    show(r.tableRow(itemsPerSecond: rate) + (validation?.1.map { String(format: "   %9.4f", $0) }.joined() ?? ""))
    for note in r.notes { show("        ! " + note) }
  }
}

