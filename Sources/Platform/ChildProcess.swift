// ChildProcess: runs a program with its stdout and stderr piped and collected. Both pipes are
// drained at once: a child that fills one while the other is read would stall.

import Dispatch
import Foundation

public enum ChildProcess {
  /// Runs `process` (executable, arguments and environment set by the caller) to its end and
  /// returns what it wrote; `started` runs once it has started (a caller's watchdog).
  public static func run(_ process: Process, started: (Process) -> Void = { _ in }) throws -> (stdout: Data, stderr: Data) {
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    started(process)
    final class Drained: @unchecked Sendable { var data = Data() }  // written before the group is left
    let errors = Drained(), drained = DispatchGroup()
    DispatchQueue.global().async(group: drained) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return (output, errors.data)
  }
}
