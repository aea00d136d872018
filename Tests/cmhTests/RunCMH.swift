// Runs the cmh binary built beside the test bundle, as a person runs it.

import Foundation
import Platform
import XCTest

/// How a run of cmh ended.
struct CMHRun {
  let status: Int32, stdout: String, stderr: String
  /// Ended by a signal (a Swift trap is SIGILL or SIGTRAP), or killed after the time limit.
  let crashed: Bool, timedOut: Bool
}

/// Runs cmh with `arguments`; `environment` values are added (an empty value removes the
/// variable). A run longer than `timeLimit` seconds is killed.
func launchCMH(_ arguments: [String], environment: [String: String] = [:], timeLimit: TimeInterval = 600) throws -> CMHRun {
  let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh")
  guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("cmh is not built at \(binary.path)") }
  let process = Process()
  process.executableURL = binary
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !$0.value.isEmpty }
  }
  var timedOut = false
  let watchdog = DispatchWorkItem { if process.isRunning { timedOut = true; process.terminate() } }
  let (stdout, stderr) = try ChildProcess.run(process) { _ in DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: watchdog) }
  watchdog.cancel()
  return CMHRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
                crashed: process.terminationReason == .uncaughtSignal && !timedOut, timedOut: timedOut)
}

/// Runs cmh; returns (exit status, stdout, stderr).
func runCMH(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
  let run = try launchCMH(arguments, environment: environment)
  return (run.status, run.stdout, run.stderr)
}
