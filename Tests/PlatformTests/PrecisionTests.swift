// The precision choice on simulated processors: no bf16 units, AVX512-BF16 only, AMX that the
// OS grants or refuses, and oneDNN missing or without bf16 kernels.

import Platform
import XCTest

final class PrecisionTests: XCTestCase {
  let plain = CPUFeatures(features: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"])
  var zen4: CPUFeatures { CPUFeatures(vendor: "AuthenticAMD", family: 25, model: 17, features: plain.features + ["avx512_bf16"]) }
  var sapphireRapids: CPUFeatures { CPUFeatures(family: 6, model: 143, features: plain.features + ["avx512_bf16", "amx_tile", "amx_bf16"]) }
  let oneDNN = OneDNNStatus(version: "2.6.3", isa: "avx512_core_bf16")
  let oneDNNWithAMX = OneDNNStatus(version: "2.6.3", isa: "avx512_core_amx")

  func choose(_ request: PrecisionRequest, _ cpu: CPUFeatures, amx: Bool = true, _ status: OneDNNStatus? = nil) throws -> PrecisionChoice {
    var asked = false
    let choice = try PrecisionPolicy.choose(request, cpu: cpu, amxPermitted: amx) { asked = true; return status ?? self.oneDNN }
    if choice.precision == .fp32 && request == .fp32 { XCTAssertFalse(asked, "fp32 loads no oneDNN") }
    return choice
  }

  func testAutoTakesBF16WhereTheProcessorHasBF16Units() throws {
    XCTAssertEqual(try choose(.auto, zen4).precision, .bf16)
    XCTAssertTrue(try choose(.auto, zen4).reason.contains("AVX512-BF16"))
    let amx = try choose(.auto, sapphireRapids, oneDNNWithAMX)
    XCTAssertEqual(amx.precision, .bf16)
    XCTAssertTrue(amx.reason.contains("AMX"), amx.reason)
  }

  func testAutoStaysFloat32WithoutBF16Units() throws {
    let choice = try choose(.auto, plain)
    XCTAssertEqual(choice.precision, .fp32)
    XCTAssertTrue(choice.reason.contains("no bf16 units"), choice.reason)
    XCTAssertThrowsError(try choose(.bf16, plain)) { XCTAssertTrue("\($0)".contains("no bf16 units"), "\($0)") }
  }

  func testAnOSThatRefusesAMXLeavesAVX512BF16() throws {
    let refused = try choose(.auto, sapphireRapids, amx: false)
    XCTAssertEqual(refused.precision, .bf16)
    XCTAssertTrue(refused.reason.contains("AVX512-BF16"), refused.reason)
    var amxOnly = sapphireRapids
    amxOnly.features.removeAll { $0 == "avx512_bf16" }
    let none = try choose(.auto, amxOnly, amx: false)
    XCTAssertEqual(none.precision, .fp32)
    XCTAssertTrue(none.reason.contains("refused"), none.reason)
  }

  func testOneDNNMissingOrWithoutBF16KernelsMeansFloat32() throws {
    let missing = OneDNNStatus(problem: "libdnnl.so.2 cannot be loaded")
    XCTAssertEqual(try choose(.auto, zen4, missing), PrecisionChoice(precision: .fp32, reason: "libdnnl.so.2 cannot be loaded"))
    XCTAssertThrowsError(try choose(.bf16, zen4, missing))
    let old = OneDNNStatus(version: "2.6.3", isa: "avx512_core")
    XCTAssertEqual(try choose(.auto, zen4, old).precision, .fp32)
  }

  func testFloat32WhenAskedFor() throws {
    XCTAssertEqual(try choose(.fp32, sapphireRapids), PrecisionChoice(precision: .fp32, reason: "asked for"))
  }
}
