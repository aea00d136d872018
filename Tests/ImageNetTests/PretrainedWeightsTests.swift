// Tests of pretrained-weight import against PyTorch: a width-4 ResNet-34 saved by torch.save (.pth)
// and as .safetensors, with PyTorch's features and gradients for a fixed input
// (scripts/make-pretrained-fixtures.py wrote Fixtures/).

import Foundation
import ImageNet
import Tensor
import TestSupport
import XCTest

final class PretrainedWeightsTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  func read(_ name: String) throws -> WeightFile { try PretrainedWeights.read(Self.fixtures.appendingPathComponent(name)) }

  func reference() throws -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: try read("resnet34-w4-reference.safetensors").tensors)
  }

  func testBothFormatsHoldTheSameTensors() throws {
    let pth = try read("resnet34-w4.pth"), safe = try read("resnet34-w4.safetensors")
    XCTAssertEqual(pth.tensors.count, safe.tensors.count)
    XCTAssertEqual(pth.skipped, [])
    XCTAssertEqual(pth.tensors.filter { $0.0.hasSuffix("num_batches_tracked") }.count, 36)  // int64 in the file
    let byName = Dictionary(uniqueKeysWithValues: safe.tensors)
    for (name, t) in pth.tensors {
      XCTAssertEqual(t.shape, byName[name]?.shape, name)
      XCTAssertEqual(t.scalars, byName[name]?.scalars, name)
    }
  }

  func testReportNamesMissingUnexpectedAndMisShapedTensors() throws {
    var g = RandomGenerator(seed: 1)
    let model = ResNet.resnet34(bits: 16, width: 4, generator: &g)
    let report = PretrainedWeights.load(try read("resnet34-w4.pth"), into: model)
    XCTAssertEqual(report.missing, ["hash.code.weight", "hash.code.bias"])
    XCTAssertEqual(report.unexpected, ["fc.weight", "fc.bias"])
    XCTAssertEqual(report.misShaped, [])
    XCTAssertEqual(report.loaded.count, model.namedParameters().count + model.namedBuffers().count - 2)
    XCTAssertEqual(report.summary, "loaded \(report.loaded.count) tensors; missing (left as initialised) 2: hash.code.weight, hash.code.bias; unexpected (ignored) 2: fc.weight, fc.bias")
    let wider = ResNet.resnet34(bits: 16, width: 8, generator: &g)
    let mismatch = PretrainedWeights.load(try read("resnet34-w4.safetensors"), into: wider)
    XCTAssertTrue(mismatch.misShaped.contains("conv1.weight [4, 3, 7, 7]→[8, 3, 7, 7]"), mismatch.summary)
  }

  func testForwardAndGradientsMatchPyTorch() throws {
    var g = RandomGenerator(seed: 2)
    let body = Sequential(named: ResNet.body34(width: 4, generator: &g))
    let report = PretrainedWeights.load(try read("resnet34-w4.safetensors"), into: body)
    XCTAssertEqual(report.missing, [])
    let expected = try reference()
    let x = expected["input"]!
    body.setTraining(false)
    assertClose(body.forward(x), expected["eval_features"]!, tolerance: 1e-4, "evaluation mode")
    body.setTraining(true)
    let features = body.forward(x)
    assertClose(features, expected["train_features"]!, tolerance: 1e-4, "training mode")
    body.zeroGradients()
    _ = body.backward(expected["r"]!)
    let parameters = Dictionary(uniqueKeysWithValues: body.namedParameters())
    // The reference gradients are float64 ones; float32 (PyTorch's or ours) is within 1e-4 of the
    // tensor's largest gradient (PyTorch's own float32 run: up to 2.2e-5, printed by the fixture script).
    for (key, gradient) in expected where key.hasPrefix("grad.") {
      let name = String(key.dropFirst(5)), ours = parameters[name]!.grad
      XCTAssertEqual(ours.shape, gradient.shape, name)
      let scale = gradient.scalars.map(abs).max()!
      let error = zip(ours.scalars, gradient.scalars).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(error, 1e-4 * scale, "\(name): largest difference \(error), largest gradient \(scale)")
    }
  }

  func testDamagedFilesAreRefusedWithTheirName() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-weights-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("resnet34-w4.safetensors"))
    bytes.removeLast(1000)
    let truncated = folder.appendingPathComponent("cut.safetensors")
    try bytes.write(to: truncated)
    XCTAssertThrowsError(try PretrainedWeights.read(truncated)) { XCTAssertTrue("\($0)".contains("cut.safetensors: tensor"), "\($0)") }
    let text = folder.appendingPathComponent("notes.pth")
    try Data("not weights".utf8).write(to: text)
    XCTAssertThrowsError(try PretrainedWeights.read(text)) { XCTAssertTrue("\($0)".contains("notes.pth"), "\($0)") }
  }
}
