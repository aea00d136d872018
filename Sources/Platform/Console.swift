// Console: the one way a command's output reaches the person. Results go to stdout — a readable
// table, or one JSON object per line with --json; messages and progress go to stderr, and not at
// all with --quiet (warnings always do). Stdout is line-buffered, so that results reach a pipe
// (`| tee log`) as they are printed.

import Foundation

public struct Console: Sendable {
  public var json: Bool
  public var quiet: Bool

  /// Under mpirun only rank 0 shows messages and progress.
  public init(json: Bool = false, quiet: Bool = false) {
    self.json = json
    self.quiet = quiet || !(MPI.world?.isRoot ?? true)
  }

  /// Line-buffered stdout; called once by a command that prints as it goes.
  public static func lineBuffered() { setvbuf(stdout, nil, _IOLBF, 0) }

  /// A line of the result on stdout.
  public func result(_ line: String) { print(line) }

  /// A line of the readable result (not printed with --json).
  public func text(_ line: String) { if !json { print(line) } }

  /// A JSON object of the result on stdout (only with --json).
  public func record(_ line: JSONLine) { if json { print(line.text) } }

  /// A message for the person at the terminal, unless quiet.
  public func note(_ message: String) { if !quiet { Self.standardError(message) } }

  /// A warning, shown even when quiet.
  public func warn(_ message: String) { Self.standardError("warning: " + message) }

  /// A progress bar on stderr (drawn only on a terminal, and not when quiet).
  public func progress(total: Int, label: String) -> ProgressBar { ProgressBar(total: total, label: label, quiet: quiet) }

  /// A progress bar over named stages.
  public func stages() -> StageProgress { StageProgress(quiet: quiet) }

  public static func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
}

extension String {
  /// The text right-aligned in `width` columns (as it is when longer): the cells of every table.
  public func rightAligned(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
