// A generated corpus with one obvious label kind (the background colour) and one subtle kind (a
// small dark glyph, 25 of the image's 1,024 pixels): the default training must find the subtle
// kind in the codes well above chance (issue 33: codes that carry every label).

import Corpus
import Foundation
import Hashing
import Model
import Platform
import Training
import XCTest
@testable import Tensor

final class SubtleLabelTests: XCTestCase {
  static let backgrounds: [(name: String, rgb: (Int, Int, Int))] = [("red", (200, 70, 60)), ("green", (70, 180, 70)),
                                                                    ("blue", (60, 80, 200)), ("yellow", (210, 200, 70))]
  static let glyphs: [(name: String, inside: (Int, Int) -> Bool)] = [
    ("plus", { x, y in x == 2 || y == 2 }), ("cross", { x, y in x == y || x == 4 - y }),
    ("ring", { x, y in x == 0 || x == 4 || y == 0 || y == 4 }), ("bar", { _, y in y == 1 || y == 3 }),
  ]

  /// `pairs` images of 32²: a noisy background and one 5×5 glyph at a random place; labels are the
  /// background (0-3, kind "scene") and the glyph (4-7, kind "glyph"); texts name both.
  static func corpus(pairs: Int, in directory: URL) throws -> Corpus {
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("images"), withIntermediateDirectories: true)
    var g = RandomGenerator(seed: 11)
    var list = [Pair]()
    for n in 0..<pairs {
      let (scene, glyph) = (Int(g.nextUniform() * 4) % 4, Int(g.nextUniform() * 4) % 4)
      let (x0, y0) = (2 + Int(g.nextUniform() * 24) % 24, 2 + Int(g.nextUniform() * 24) % 24)
      var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3)
      for y in 0..<32 {
        for x in 0..<32 {
          let (dx, dy) = (x - x0, y - y0)
          let mark = (0..<5).contains(dx) && (0..<5).contains(dy) && glyphs[glyph].inside(dx, dy)
          let base = backgrounds[scene].rgb, noise = Int(g.nextUniform() * 40) - 20
          for (c, v) in [base.0, base.1, base.2].enumerated() {
            pixels[(y * 32 + x) * 3 + c] = UInt8(clamping: mark ? 40 + noise / 2 : v + noise)
          }
        }
      }
      let name = String(format: "images/%05d.png", n)
      try PNG.encode(RGBImage(width: 32, height: 32, pixels: pixels)).write(to: directory.appendingPathComponent(name))
      let words = [backgrounds[scene].name, glyphs[glyph].name]
      list.append(Pair(id: "p\(n)", image: name, text: (n % 2 == 0 ? words : words.reversed()).joined(separator: " "), labels: [scene, 4 + glyph]))
    }
    let info = CorpusInfo(name: "glyphs", labels: backgrounds.map(\.name) + glyphs.map(\.name), source: "SubtleLabelTests", textMode: .tags,
                          labelKinds: Array(repeating: "scene", count: 4) + Array(repeating: "glyph", count: 4))
    var corpus = Corpus(directory: directory, info: info, pairs: list)
    try corpus.splitByProtocol(seed: 5)
    try corpus.write(to: directory)
    return corpus
  }

  func testDefaultTrainingFindsTheSubtleKind() throws {
    let directory = TrainingTests.folder.appendingPathComponent("glyphs")
    let corpus = try Self.corpus(pairs: 2000, in: directory)
    let splits = corpus.splits!
    let spec = try ModelSpec.make(for: corpus, training: splits.train, bits: 32, architecture: .compact10, inputSize: 32, width: 8,
                                  imageHidden: [128], textHidden: [256, 256])
    // Per-label MAP by kind, Image→Image and Text→Image: with the defaults (label epochs first), and without label epochs.
    var glyph = [[Double]](), scene = [[Double]](), labelEpochs = [Int](), chance = 0.0
    for asked in [nil, 0] as [Int?] {
      let settings = TrainingDefaults.settings(for: spec, epochs: 15, batchSize: 32, labelEpochs: asked, multiLabel: corpus.isMultiLabel)
      let run = try TrainingRun(corpus: corpus, spec: spec, settings: settings)
      XCTAssertTrue(run.loop.run(epochs: settings.totalEpochs))
      let q = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.query)
      let r = try CrossModalEvaluation.codes(run.model, corpus: corpus, pairs: splits.retrieval)
      let reports = LabelEvaluation.perLabel(queries: q, retrieval: r, names: corpus.info.labels, kinds: corpus.info.labelKinds, directions: [.i2i, .t2i])
      let kind = { (name: String) in reports.map { r in r.byKind.first { $0.kind == name }?.ap ?? 0 } }
      glyph.append(kind("glyph"))
      scene.append(kind("scene"))
      labelEpochs.append(settings.labelEpochs)
      chance = reports[0].labels.map(\.chance).max() ?? 1
    }
    print("glyph / scene per-label MAP (i→i, t→i): defaults \(glyph[0]) / \(scene[0]), no label epochs \(glyph[1]) / \(scene[1]); chance ≤ \(chance)")
    XCTAssertEqual(labelEpochs, [30, 0], "the defaults give this corpus twice as many label epochs as epochs")
    for (d, direction) in ["i→i", "t→i"].enumerated() {
      XCTAssertGreaterThan(glyph[0][d], chance + 0.15, "the subtle kind, \(direction)")
      XCTAssertGreaterThan(glyph[0][d], glyph[1][d] + 0.1, "label epochs are what finds it, \(direction)")
      XCTAssertGreaterThan(scene[0][d], 0.85, "the obvious kind stays, \(direction)")
    }
  }

  /// `cmh experiment ceiling`'s figures: the classifier finds the obvious kind, and the ranking by
  /// the true label sets is per-label MAP from its definition (items ordered by how many labels
  /// they differ in from the query, equal ones by position).
  func testCeilingMeasuresTheClassifierAndTheTrueLabels() throws {
    let corpus = try Self.corpus(pairs: 400, in: TrainingTests.folder.appendingPathComponent("glyphs-ceiling"))
    let splits = corpus.splits!
    let spec = try ModelSpec.make(for: corpus, training: splits.train, bits: 16, architecture: .compact10, inputSize: 32, width: 8,
                                  imageHidden: [64], textHidden: [64])
    var g = RandomGenerator(seed: 3)
    var settings = ClassifierSettings()
    settings.epochs = 6
    let rows = try LabelClassifier.ceiling(of: CrossModalModel(spec: spec, generator: &g), on: corpus, settings: settings)
    XCTAssertEqual(rows.map(\.retrieval.label), Array(0..<8))
    let labels = { (pairs: [Int]) in pairs.map { Set(corpus.pairs[$0].labels) } }
    let (queries, items) = (labels(splits.query), labels(splits.retrieval))
    for row in rows {
      let l = row.retrieval.label
      let aps = queries.filter { $0.contains(l) }.map { q in
        let order = items.indices.sorted { (q.symmetricDifference(items[$0]).count, $0) < (q.symmetricDifference(items[$1]).count, $1) }
        var (hits, sum) = (0, 0.0)
        for (rank, i) in order.enumerated() where items[i].contains(l) { hits += 1; sum += Double(hits) / Double(rank + 1) }
        return sum / Double(hits)
      }
      XCTAssertEqual(row.labelCodes, aps.reduce(0, +) / Double(aps.count), accuracy: 1e-9, "true labels as codes, label \(l)")
      if l < 4 {
        XCTAssertGreaterThan(row.classifier, 0.95, "the background \(l) is plain to a classifier")
        XCTAssertGreaterThan(row.classifierRanking, row.retrieval.chance + 0.1, "its probabilities rank the background \(l)")
      }
    }
  }
}
