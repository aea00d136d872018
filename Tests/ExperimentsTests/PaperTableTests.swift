// The paper table as a library: two small feature corpora at two code lengths give the same table
// whether a run is resumed from a checkpoint halfway or trained straight through; reference
// figures stand beside the measured ones; a corpus of MIRFlickr-25K's protocol gets DCMH's
// published figures with their citation, and a generated one none.

import Corpus
import Foundation
import Model
import Platform
import Training
import XCTest
@testable import Experiments
@testable import Hashing

final class PaperTableTests: XCTestCase {
  static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-paper-table-\(getpid())")
  override class func tearDown() { try? FileManager.default.removeItem(at: folder) }
  func url(_ name: String) -> URL { Self.folder.appendingPathComponent(name) }

  static func spec(_ corpus: Corpus, _ bits: Int) throws -> ModelSpec {
    try ModelSpec.make(for: corpus, training: corpus.requireSplits().train, bits: bits, imageHidden: [32], textHidden: [32])
  }

  static func settings(_ spec: ModelSpec, _ loss: LossKind) -> TrainingSettings {
    var base = TrainingSettings()
    base.loss = loss
    return TrainingDefaults.settings(for: spec, base: base, epochs: 30)
  }

  func table(_ folder: String) -> PaperTable {
    PaperTable(corpora: [url("mir").path, url("wiki").path], bits: [16, 32], losses: [.cauchy], folder: url(folder),
               references: [url("ref.jsonl").path], spec: Self.spec, settings: { s, l, _ in Self.settings(s, l) })
  }

  func testAResumedRunGivesTheTableOfTheUninterruptedOne() throws {
    var corpora = [String: Corpus]()
    for (kind, name) in [(FeatureCorpusKind.mirflickr, "mir"), (.wikipedia, "wiki")] {
      corpora[name] = try FeatureCorpus.generate(into: url(name), settings: FeatureCorpusSettings(kind: kind, pairs: 240, seed: 1))
    }
    try Data(#"{"data": "wiki", "loss": "cauchy", "bits": 32, "i2t": 0.25, "t2i": 0.5, "label": "ref_cmh.py"}"#.utf8).write(to: url("ref.jsonl"))
    let quiet = Console(quiet: true)
    let straight = try table("straight").run(console: quiet)

    // mir-cauchy-32 stopped after 5 batches of its first epoch, its checkpoint where the table keeps it.
    try FileManager.default.createDirectory(at: url("resumed"), withIntermediateDirectories: true)
    let spec = try Self.spec(corpora["mir"]!, 32)
    let stopped = try TrainingRun(corpus: corpora["mir"]!, spec: spec, settings: Self.settings(spec, .cauchy))
    var batches = 0
    XCTAssertFalse(stopped.loop.run(epochs: 30, shouldStop: { batches == 5 }, onBatch: { _, _, _ in batches += 1 }))
    try stopped.saveCheckpoint(to: url("resumed/mir-cauchy-32.cmh.ckpt"))
    let resumed = try table("resumed").run(console: quiet)

    XCTAssertEqual(resumed.markdown(), straight.markdown())
    XCTAssertEqual(try String(contentsOf: url("resumed/table.md"), encoding: .utf8), straight.markdown() + "\n")
    XCTAssertTrue(straight.markdown().hasPrefix("### mir"), straight.markdown())
    XCTAssertTrue(straight.markdown().contains("| MAP@all, ref_cmh.py | Image→Text | — | 0.2500 |"), straight.markdown())
    XCTAssertFalse(straight.markdown().contains("published"))
    let records = try String(contentsOf: url("resumed/runs.jsonl"), encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(records.count, 4)
    XCTAssertTrue(records.allSatisfy { $0.contains("\"blas_kernel\"") && $0.contains("\"settings\"") })
    // One JSON line per corpus, bits, loss and direction, the reference beside its cell.
    let lines = straight.jsonLines().split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(lines.count, 8)
    XCTAssertEqual((lines.last?["reference"] as? [String: Any])?["ref_cmh.py"] as? Double, 0.5)
  }

  func testOnlyACorpusOfTheStandardProtocolGetsPublishedFigures() throws {
    // MIRFlickr-25K's shape: 20,015 pairs, 24 labels; without splits, the protocol's 2,000 queries.
    var corpus = try FeatureCorpus.generate(into: url("flickr"), settings: FeatureCorpusSettings(kind: .mirflickr, pairs: 20_015, seed: 1))
    corpus.splits = nil
    let (split, note) = try ExperimentPlan.withSplits(corpus)
    XCTAssertTrue(note?.contains("has no splits: using the standard protocol's, 2000 queries") ?? false, note ?? "no note")
    // Generated, it gets none: the paper measured the benchmark itself.
    XCTAssertNil(PublishedFigures.matching(split))
    var imported = split
    imported.info.source = "cmh corpus import mat: mirflickr25k-lall.mat:LAll, mirflickr25k-yall.mat:YAll, mirflickr25k-iall.mat:IAll"
    let figures = try XCTUnwrap(PublishedFigures.matching(imported))

    var report = RetrievalReport()
    report.map = 0.7
    let row = ExperimentTable.Row(run: ExperimentRun(corpus: "flickr", bits: 16, loss: .dcmh), model: "flickr-dcmh-16.cmh",
                                  i2t: report, t2i: report, labelMAP: [0.5, 0.5], named: nil, conjunctive: nil)
    let markdown = ExperimentTable(rows: [row], references: [], published: [("flickr", figures)]).markdown()
    XCTAssertTrue(markdown.contains("| MAP@all, DCMH as published [1] | Image→Text | 0.7410 |"), markdown)
    XCTAssertTrue(markdown.contains("[1] Q.-Y. Jiang and W.-J. Li, \"Deep Cross-Modal Hashing\", CVPR 2017, Table 3 (MIRFlickr-25K, standard protocol)."), markdown)
    XCTAssertFalse(ExperimentTable(rows: [row], references: [], published: [("flickr", nil)]).markdown().contains("Jiang"))
  }
}
