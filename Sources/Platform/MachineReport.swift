// MachineReport: the machine as people and programs read it — `cmh info`, and the first lines of
// every benchmark and of the demo.

import Foundation

/// The machine, as people and programs read it; benchmarks print it first.
public enum MachineReport {
  public static func table(_ info: MachineInfo) -> [String] {
    info.lines.map { $0.0.padding(toLength: 14, withPad: " ", startingAt: 0) + $0.1 }
  }

  public static func json(_ info: MachineInfo) throws -> String { try JSON.text(info) }

  /// One line for the start of a long run: the processor and the BLAS kernel.
  public static func kernelLine(_ info: MachineInfo) -> String {
    "\(info.processor), \(info.vectorLevel); OpenBLAS kernel \(info.kernelDescription); \(info.threads) threads"
      + (Precision.current == .bf16 ? "; bf16 products (oneDNN)" : "")
  }

  /// The machine's lines ahead of a benchmark's figures: `{"machine": {...}}` with --json.
  public static func printHeader(json: Bool) {
    let info = MachineInfo.current()
    if json, let line = try? Self.json(info) { print(#"{"machine": \#(line)}"#); return }
    table(info).forEach { print($0) }
    print("")
  }
}
