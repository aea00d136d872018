// Tests of the distiller's parts: contexts against a brute-force nearest-code search, the context
// refresh, the whole objective against finite differences, and exact resumption from a checkpoint
// taken in the middle of an epoch.

import CauchyLoss
import Corpus
import Foundation
import Hashing
import Model
import Training
import XCTest
@testable import Distill
@testable import Tensor

final class DistillerTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-distill-tests-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

  func testContextsAreTheGalleryModelsNearestCodes() {
    var g = RandomGenerator(seed: 3)
    let image = g.uniform([40, 16], -1, 1), text = g.uniform([40, 16], -1, 1)
    let gallery = GalleryContext(imageOutputs: image, textOutputs: text, neighbours: 12)
    XCTAssertEqual(gallery.count, 80)
    XCTAssertEqual(gallery.contextSize, 12)
    let all = (0..<80).map { j in (0..<16).map { gallery.signs.data[j * 16 + $0] } }
    for (tower, outputs) in [image, text].enumerated() {
      for i in 0..<40 {
        let signs = (0..<16).map { outputs.data[i * 16 + $0] >= 0 ? Float(1) : -1 }
        let expected = (0..<80).map { j in (zip(signs, all[j]).filter { $0 != $1 }.count, j) }.sorted { $0 < $1 }.prefix(12).map { Int32($0.1) }
        XCTAssertEqual(gallery.contexts[tower][i], Array(expected), "tower \(tower) item \(i)")
      }
    }
    // Refresh: the first three quarters stay the teacher's, the rest are new, none twice.
    let before = gallery.contexts[0]
    gallery.refresh(tower: 0, studentOutputs: g.uniform([40, 16], -1, 1))
    for (old, new) in zip(before, gallery.contexts[0]) {
      XCTAssertEqual(Array(new.prefix(9)), Array(old.prefix(9)))
      XCTAssertEqual(Set(new).count, 12)
    }
    let batch = gallery.batch(tower: 1, rows: [2, 5], extra: [[0, 79], [1, 3]])
    XCTAssertEqual(batch.shape, [2, 14, 16])
    XCTAssertEqual(Array(UnsafeBufferPointer(start: batch.data + 13 * 16, count: 16)), all[79])
  }

  static func run(_ corpus: Corpus, epochs: Int) throws -> DistillationRun {
    let spec = try ModelSpec.make(for: corpus, training: corpus.splits!.train, bits: 16, imageHidden: [32], textHidden: [32])
    var g = RandomGenerator(seed: 1)
    let gallery = CrossModalModel(spec: spec, generator: &g)
    gallery.setTraining(false)
    var settings = DistillationSettings.defaults(for: spec)
    settings.epochs = epochs
    settings.batchSize = 32
    settings.neighbours = 16
    settings.firstOrder = 0.5
    settings.refreshEvery = 1
    return try DistillationRun(gallery: gallery, galleryPath: "gallery.cmh", corpus: corpus, spec: spec.student(imageHidden: [16], textHidden: [16]), settings: settings)
  }

  func testTheObjectiveMatchesFiniteDifferences() throws {
    let corpus = try FeatureCorpus.generate(into: Self.folder.appendingPathComponent("mir-d"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 200, seed: 4))
    let distiller = try Self.run(corpus, epochs: 1).distiller
    var g = RandomGenerator(seed: 6)
    let u = g.uniform([4, 16], -0.9, 0.9), t = g.uniform([4, 16], -0.9, 0.9)
    for i in 0..<u.count where abs(u.data[i]) < 0.05 { u.data[i] = 0.3 }  // the quantization's sign must not flip under the step
    let context = distiller.gallery.batch(tower: 0, rows: [0, 1, 2, 3], extra: [[5], [6], [7], [8]])
    let (_, gradient) = distiller.objective(u, teacher: t, context: context)
    let total = { () -> Double in let (l, _) = distiller.objective(u, teacher: t, context: context); return Double(l.contextual + l.other) }
    for i in 0..<u.count {
      let saved = u.data[i]
      u.data[i] = saved + 1e-3; let plus = total()
      u.data[i] = saved - 1e-3; let minus = total()
      u.data[i] = saved
      XCTAssertEqual(gradient.data[i], Float((plus - minus) / 2e-3), accuracy: 2e-3 * max(1, abs(gradient.data[i])), "element \(i)")
    }
  }

  func testResumingFromACheckpointRepeatsTheUninterruptedRun() throws {
    let corpus = try FeatureCorpus.generate(into: Self.folder.appendingPathComponent("mir-r"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 200, seed: 4))
    let straight = try Self.run(corpus, epochs: 3)
    XCTAssertTrue(straight.loop.run(epochs: 3))
    let first = try Self.run(corpus, epochs: 3)
    var batches = 0
    XCTAssertFalse(first.loop.run(epochs: 3, shouldStop: { batches == 5 }, onBatch: { _, _, _ in batches += 1 }))
    let url = Self.folder.appendingPathComponent("distill.ckpt")
    try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
    try first.saveCheckpoint(to: url)
    XCTAssertThrowsError(try DistillationRun(corpus: corpus, resuming: url)) {  // the gallery file named in it is not there
      XCTAssertTrue("\($0)".contains("gallery.cmh"), "\($0)")
    }
    try first.gallery.save(to: URL(fileURLWithPath: "gallery.cmh", relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)))
    defer { try? FileManager.default.removeItem(atPath: "gallery.cmh") }
    let second = try DistillationRun(corpus: corpus, resuming: url)
    XCTAssertTrue(second.loop.run(epochs: 3))
    XCTAssertEqual(second.student.fingerprint(), straight.student.fingerprint())
    XCTAssertEqual(second.distiller.gallery.contexts[0], straight.distiller.gallery.contexts[0])
  }

  func testACollapsedTowerIsReportedWithWhatToTry() {
    XCTAssertEqual(Distiller.collapseNotes(distinct: [40, 40], floor: [16, 16], rates: [1e-4, 1e-4]), [])
    let notes = Distiller.collapseNotes(distinct: [40, 3], floor: [16, 16], rates: [1e-4, 3e-4])
    XCTAssertEqual(notes.count, 1)
    XCTAssertTrue(notes[0].hasPrefix("text codes collapsed (3 distinct, fewer than 16)") && notes[0].hasSuffix("try --text-lr 3e-05"), notes[0])
  }
}
