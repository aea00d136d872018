// Tests of `cmh info` and of the BLAS kernel check at start, through the built binary.

import Foundation
import XCTest

final class InfoCommandTests: XCTestCase {
  func info(_ environment: [String: String] = [:]) throws -> [String: Any] {
    let clean = ["OPENBLAS_CORETYPE": "", "CMH_BLAS_RESTARTED": ""].merging(environment) { $1 }
    let (status, out, err) = try runCMH(["info", "--json"], environment: clean)
    XCTAssertEqual(status, 0, err)
    return try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
  }

  /// After start the kernel is not the generic one when the processor has AVX2.
  func testKernelFitsTheProcessor() throws {
    let report = try info()
    let level = report["vector_level"] as? String
    guard level == "AVX2" || level == "AVX-512" else { throw XCTSkip("this processor has no AVX2") }
    XCTAssertNotEqual(report["kernel"] as? String, "Prescott")
    XCTAssertEqual(report["kernel_fits_processor"] as? Bool, true, "\(report)")
  }

  /// A fallback kernel (as the check is told it is) makes cmh start again once with a better one.
  func testFallbackKernelRestartsOnce() throws {
    let report = try info(["CMH_BLAS_TEST_CORENAME": "Prescott"])
    guard ["AVX2", "AVX-512"].contains(report["vector_level"] as? String) else { throw XCTSkip("no AVX2") }
    XCTAssertEqual(report["kernel_chosen_by"] as? String, "cmh")
    XCTAssertEqual(report["kernel_replaced"] as? String, "Prescott")
    XCTAssertEqual(report["kernel"] as? String, report["vector_level"] as? String == "AVX2" ? "Haswell" : "SkylakeX")
  }

  func testTheUsersCoretypeWins() throws {
    let report = try info(["OPENBLAS_CORETYPE": "Haswell", "CMH_BLAS_TEST_CORENAME": "Prescott"])
    XCTAssertEqual(report["kernel"] as? String, "Haswell")
    XCTAssertEqual(report["kernel_chosen_by"] as? String, "user")
  }

  func testTableNamesTheKernel() throws {
    let (status, out, _) = try runCMH(["info"])
    XCTAssertEqual(status, 0)
    XCTAssertTrue(out.contains("BLAS kernel"), out)
  }
}
