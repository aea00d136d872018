// Tests of the BLAS kernel decision on processor fixtures, and of the CPUID reader on this machine.

import Foundation
import XCTest
@testable import Platform

final class BLASKernelTests: XCTestCase {
  static let avx512 = CPUFeatures(family: 6, model: 207, brand: "Intel Xeon (fixture)",
                                  features: ["sse4_2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"])
  static let avx2 = CPUFeatures(vendor: "AuthenticAMD", family: 23, model: 49, features: ["sse4_2", "avx", "fma", "avx2"])
  static let sse = CPUFeatures(features: [])
  /// An AVX-512 processor whose OS does not save the ZMM state: CPUFeatures.current leaves the
  /// AVX-512 flags out then, so the fixture has none.
  static let avx512Disabled = CPUFeatures(features: ["sse4_2", "avx", "fma", "avx2"])

  let all: (String) -> Bool = { _ in true }

  func decide(_ cpu: CPUFeatures, _ kernel: String, user: String? = nil, restarted: Bool = false,
              has: ((String) -> Bool)? = nil) -> BLASKernel.Decision {
    BLASKernel.decide(cpu: cpu, kernel: kernel, userSetting: user, restarted: restarted, has: has ?? all)
  }

  func testGenericKernelOnAVX512RestartsWithSkylakeX() {
    XCTAssertEqual(decide(Self.avx512, "Prescott"), .restart(with: "SkylakeX"))
    XCTAssertEqual(decide(Self.avx512, "Haswell"), .restart(with: "SkylakeX"))
    XCTAssertEqual(decide(Self.avx512, "Zen"), .restart(with: "SkylakeX"))
    XCTAssertEqual(decide(Self.avx512, "SkylakeX"), .keep)
    XCTAssertEqual(decide(Self.avx512, "Cooperlake"), .keep)
  }

  func testGenericKernelOnAVX2RestartsWithHaswell() {
    XCTAssertEqual(decide(Self.avx2, "Prescott"), .restart(with: "Haswell"))
    XCTAssertEqual(decide(Self.avx2, "Sandybridge"), .restart(with: "Haswell"))
    XCTAssertEqual(decide(Self.avx2, "Zen"), .keep)
    XCTAssertEqual(decide(Self.avx2, "haswell"), .keep, "names compare without case, as OpenBLAS does")
    XCTAssertEqual(decide(Self.avx512Disabled, "Haswell"), .keep)
  }

  func testNeitherFeatureKeepsTheGenericKernel() {
    XCTAssertEqual(decide(Self.sse, "Prescott"), .keep)
    XCTAssertEqual(decide(CPUFeatures(isX86: false, features: []), "NEOVERSEN1"), .keep)
  }

  func testTheUsersSettingAlwaysWins() {
    XCTAssertEqual(decide(Self.avx512, "Prescott", user: "Prescott"), .userChoice("Prescott"))
    XCTAssertEqual(decide(Self.avx2, "Prescott", user: "Core2"), .userChoice("Core2"))
  }

  func testUnknownKernelNameIsNeverJudgedOrChosen() {
    XCTAssertEqual(decide(Self.avx512, "Zen5"), .keep, "a kernel this table does not know is left alone")
    // A library without SkylakeX: the best it has below the processor.
    XCTAssertEqual(decide(Self.avx512, "Prescott", has: { $0 == "Haswell" }), .restart(with: "Haswell"))
    // A library for one processor (no kernel tables): nothing to choose, a warning.
    guard case .warn(let message) = decide(Self.avx512, "Prescott", has: { _ in false }) else { return XCTFail() }
    XCTAssertTrue(message.contains("Prescott") && message.contains("4-7×"), message)
  }

  func testTheRestartedProcessNeverRestartsAgain() {
    guard case .warn(let message) = decide(Self.avx2, "Prescott", user: "Haswell", restarted: true) else { return XCTFail() }
    XCTAssertTrue(message.contains("still runs its Prescott kernel"), message)
    XCTAssertEqual(decide(Self.avx2, "Haswell", user: "Haswell", restarted: true), .keep)
  }

  /// Every kernel cmh may ask for is one OpenBLAS 0.3.21 knows by that name.
  func testPreferredKernelsAreOpenBLASNames() {
    for (_, name) in BLASKernel.preferred { XCTAssertNotNil(BLASKernel.level(of: name), name) }
    XCTAssertEqual(BLASKernel.level(of: "SkylakeX"), .avx512)
  }

  /// The CPUID reader agrees with the kernel's own flags in /proc/cpuinfo.
  func testCPUIDMatchesProcCpuinfo() throws {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
      throw XCTSkip("no /proc/cpuinfo here")
    }
    let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
    let cpu = CPUFeatures.current
    for name in ["sse4_2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_vpopcntdq"] {
      XCTAssertEqual(cpu.has(name), flags.contains(name), name)
    }
  }

  /// This test process runs with the kernel OpenBLAS picked (no restart in a test runner): it
  /// reports it, and the library knows the kernels cmh may ask for.
  func testThisLibraryHasTheKernelsCmhAsksFor() throws {
    XCTAssertFalse(BLASKernel.current.isEmpty)
    guard BLASKernel.configuration.contains("DYNAMIC_ARCH") else { throw XCTSkip("OpenBLAS built for one processor") }
    XCTAssertTrue(BLASKernel.has("SkylakeX") && BLASKernel.has("Haswell"))
    XCTAssertFalse(BLASKernel.has("NoSuchKernel"))
  }
}
