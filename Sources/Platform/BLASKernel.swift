// BLASKernel: which OpenBLAS kernel runs, whether it fits the processor, and the one-time re-exec
// with a better kernel when OpenBLAS fell back to a generic one (it picks its kernel when loaded,
// from OPENBLAS_CORETYPE or CPUID, so only a new process can change it).

import CBLAS
import Foundation

public enum BLASKernel {
  /// OpenBLAS's kernel names (as `openblas_get_corename` prints them and `OPENBLAS_CORETYPE`
  /// accepts them) and the vector level each needs.
  static let levels: [String: VectorLevel] = {
    var table = [String: VectorLevel]()
    for name in ["Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Athlon", "Opteron",
                 "Opteron_SSE3", "Barcelona", "Bobcat", "Nano"] { table[name.lowercased()] = .baseline }
    for name in ["Core2", "Penryn", "Dunnington", "Nehalem", "Atom"] { table[name.lowercased()] = .sse4 }
    for name in ["Sandybridge", "Bulldozer", "Piledriver", "Steamroller", "Excavator"] { table[name.lowercased()] = .avx }
    for name in ["Haswell", "Zen"] { table[name.lowercased()] = .avx2 }
    for name in ["SkylakeX", "Cooperlake", "SapphireRapids"] { table[name.lowercased()] = .avx512 }
    return table
  }()

  /// The kernel to ask for at each level, best level first.
  static let preferred: [(VectorLevel, String)] = [(.avx512, "SkylakeX"), (.avx2, "Haswell"), (.avx, "Sandybridge"), (.sse4, "Nehalem")]

  /// The level a kernel name needs, nil for a name this table does not know (never judged).
  public static func level(of kernel: String) -> VectorLevel? { levels[kernel.lowercased()] }

  /// What to do at start.
  public enum Decision: Equatable {
    /// The kernel fits the processor, or cannot be judged: nothing to do.
    case keep
    /// The user set `OPENBLAS_CORETYPE`: their choice stands.
    case userChoice(String)
    /// Start again with `OPENBLAS_CORETYPE` set to this kernel.
    case restart(with: String)
    /// The kernel is below the processor and cannot be raised: say so once.
    case warn(String)
  }

  /// The decision, from facts only: the processor's features, the kernel OpenBLAS chose, the
  /// user's `OPENBLAS_CORETYPE` (nil when unset), whether this process is already the restarted
  /// one, and the kernels this OpenBLAS has (`has`).
  public static func decide(cpu: CPUFeatures, kernel: String, userSetting: String?, restarted: Bool,
                            has: (String) -> Bool) -> Decision {
    if let user = userSetting, !restarted { return .userChoice(user) }
    guard cpu.isX86, let current = level(of: kernel), current < cpu.level else { return .keep }
    let cost = current == .baseline ? "4-7×" : "up to 2×"
    if restarted {
      return .warn("OpenBLAS still runs its \(kernel) kernel after cmh asked for a better one on this \(cpu.level) processor: matrix products run \(cost) slower than they could")
    }
    let choices = preferred.filter { $0.0 <= cpu.level && $0.0 > current }.map(\.1)
    guard let best = choices.first(where: has) else {
      return .warn("OpenBLAS runs its \(kernel) kernel on this \(cpu.level) processor and has no better one: matrix products run \(cost) slower than they could (a build of OpenBLAS that knows this processor fixes it)")
    }
    return .restart(with: best)
  }

  // MARK: - This process

  /// The variable that marks the restarted process; its value is the kernel OpenBLAS chose first.
  public static let restartMarker = "CMH_BLAS_RESTARTED"
  /// Testing hook: the kernel the start-up check believes OpenBLAS chose (cleared on restart).
  static let testKernel = "CMH_BLAS_TEST_CORENAME"

  /// The kernel OpenBLAS runs in this process.
  public static var current: String { String(cString: openblas_get_corename()) }

  /// OpenBLAS's build line, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
  public static var configuration: String {
    String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
  }

  /// Whether this OpenBLAS carries a kernel: a build for many processors (DYNAMIC_ARCH) exports
  /// one `gotoblas_<NAME>` table per kernel it has; a build for one processor exports none.
  public static func has(_ kernel: String) -> Bool {
    guard let handle = dlopen(nil, RTLD_NOW) else { return false }
    return dlsym(handle, "gotoblas_" + kernel.uppercased()) != nil
  }

  /// The user's `OPENBLAS_CORETYPE` (nil when unset or empty).
  public static var userSetting: String? {
    ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The kernel OpenBLAS chose before cmh restarted with a better one, nil when it did not.
  public static var replaced: String? { ProcessInfo.processInfo.environment[restartMarker] }

  /// Run first in `main`: restarts the process once with a better kernel when OpenBLAS fell back
  /// below the processor, or prints one warning line when that cannot be fixed.
  public static func checkAtStart() {
    let env = ProcessInfo.processInfo.environment
    let seen = env[testKernel] ?? current
    let decision = decide(cpu: .current, kernel: seen, userSetting: userSetting,
                          restarted: env[restartMarker] != nil, has: has)
    switch decision {
    case .keep, .userChoice: return
    case .warn(let message): Console.standardError("cmh: warning: \(message)")
    case .restart(let kernel):
      setenv("OPENBLAS_CORETYPE", kernel, 1)
      setenv(restartMarker, seen, 1)
      unsetenv(testKernel)
      restart()
      Console.standardError("cmh: warning: OpenBLAS runs its \(seen) kernel and cmh could not restart with \(kernel): \(String(cString: strerror(errno)))")
    }
  }

  /// Replaces this process by a new run of the same program and arguments; returns only on failure.
  private static func restart() {
    #if os(Linux)
    let program = "/proc/self/exe"
    #else
    let program = CommandLine.arguments[0]
    #endif
    fflush(stdout); fflush(stderr)
    execv(program, CommandLine.unsafeArgv)
  }
}
