// Precision: whether the towers' convolutions multiply in float32 or in bfloat16 (oneDNN, fp32
// accumulation; weights, optimiser state, BatchNorm, losses and codes stay float32). Chosen once
// at start, like the BLAS kernel: `--precision` or CMH_PRECISION (auto, fp32, bf16); auto takes
// bf16 where the processor has bf16 units (AVX512-BF16 or AMX) that the OS enables and oneDNN
// loads, fp32 elsewhere.

import CCPUID
import CDNNL
import Foundation

public enum Precision: String, CaseIterable, Codable, Sendable {
  case fp32, bf16
}

/// What was asked for.
public enum PrecisionRequest: String, CaseIterable, Sendable {
  case auto, fp32, bf16
}

/// The precision that runs and why.
public struct PrecisionChoice: Equatable, Sendable {
  public var precision: Precision
  public var reason: String

  public init(precision: Precision, reason: String) { (self.precision, self.reason) = (precision, reason) }
}

/// What oneDNN said when it was loaded: its version and instruction set, or why it cannot run.
public struct OneDNNStatus: Equatable, Sendable {
  public var version: String?, isa: String?, problem: String?

  public init(version: String? = nil, isa: String? = nil, problem: String? = nil) {
    (self.version, self.isa, self.problem) = (version, isa, problem)
  }

  /// oneDNN's kernels multiply in bf16 on this processor (its own emulation on older ones is slow).
  public var hasBF16Kernels: Bool { isa == "avx512_core_bf16" || isa == "avx512_core_amx" }
}

public enum PrecisionPolicy {
  /// The choice for `request` on a processor with `cpu`'s features; `amxPermitted`: the OS lets
  /// this process use AMX tiles; `oneDNN` is asked only when bf16 could run (it loads a library).
  public static func choose(_ request: PrecisionRequest, cpu: CPUFeatures, amxPermitted: Bool,
                            oneDNN: () -> OneDNNStatus) throws -> PrecisionChoice {
    if request == .fp32 { return PrecisionChoice(precision: .fp32, reason: "asked for") }
    let units = units(cpu, amxPermitted: amxPermitted)
    guard let units else {
      let why = cpu.has("amx_bf16") && !amxPermitted ? "the OS refused this process AMX tiles" : "the processor has no bf16 units (AVX512-BF16 or AMX)"
      if request == .bf16 { throw PrecisionError(description: "--precision bf16: \(why); use fp32 or auto") }
      return PrecisionChoice(precision: .fp32, reason: why)
    }
    let status = oneDNN()
    guard status.problem == nil, status.hasBF16Kernels else {
      let why = status.problem ?? "oneDNN \(status.version ?? "") runs \(status.isa ?? "no") kernels here, without bf16"
      if request == .bf16 { throw PrecisionError(description: "--precision bf16: \(why)") }
      return PrecisionChoice(precision: .fp32, reason: why)
    }
    return PrecisionChoice(precision: .bf16, reason: (request == .bf16 ? "asked for; " : "") + "\(units), oneDNN \(status.version ?? "") \(status.isa ?? "")")
  }

  /// The bf16 units the processor offers this process, by name; nil when none.
  static func units(_ cpu: CPUFeatures, amxPermitted: Bool) -> String? {
    if cpu.has("amx_bf16") && cpu.has("amx_tile") && amxPermitted { return "AMX" }
    if cpu.has("avx512_bf16") { return "AVX512-BF16" }
    return nil
  }
}

public struct PrecisionError: Error, CustomStringConvertible {
  public let description: String
}

extension Precision {
  /// The precision this process runs: set once by `configure` (the commands do, from
  /// --precision), else chosen from CMH_PRECISION on first use.
  public static var current: Precision { choice.precision }

  public static var choice: PrecisionChoice {
    lock.lock()
    defer { lock.unlock() }
    if let chosen { return chosen }
    let made: PrecisionChoice
    do { made = try choose(try environmentRequest()) } catch { made = PrecisionChoice(precision: .fp32, reason: "\(error)") }
    chosen = made
    return made
  }

  /// CMH_PRECISION's request (auto when unset).
  private static func environmentRequest() throws -> PrecisionRequest {
    let setting = ProcessInfo.processInfo.environment["CMH_PRECISION"] ?? "auto"
    guard let request = PrecisionRequest(rawValue: setting) else {
      throw PrecisionError(description: "CMH_PRECISION=\(setting): expected auto, fp32 or bf16")
    }
    return request
  }

  /// Chooses for `request` on this machine; throws when bf16 is asked for and cannot run.
  @discardableResult
  public static func configure(_ request: PrecisionRequest?) throws -> PrecisionChoice {
    let made = try choose(try request ?? environmentRequest())
    lock.lock()
    chosen = made
    lock.unlock()
    return made
  }

  /// Switches to float32 for the rest of the run (a bf16 kernel failed), saying why.
  public static func fallBack(_ why: String) {
    lock.lock()
    chosen = PrecisionChoice(precision: .fp32, reason: "bf16 stopped: \(why)")
    lock.unlock()
  }

  private static func choose(_ request: PrecisionRequest) throws -> PrecisionChoice {
    let cpu = CPUFeatures.current
    let amx = cpu.has("amx_bf16") && cmh_request_amx() == 0
    return try PrecisionPolicy.choose(request, cpu: cpu, amxPermitted: amx, oneDNN: loadOneDNN)
  }

  /// Loads oneDNN with cmh's thread count.
  static func loadOneDNN() -> OneDNNStatus {
    guard cmh_dnnl_load(Int32(Threads.count)) == 0 else { return OneDNNStatus(problem: String(cString: cmh_dnnl_error())) }
    return OneDNNStatus(version: String(cString: cmh_dnnl_version()), isa: String(cString: cmh_dnnl_isa()))
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var chosen: PrecisionChoice?
}
