// FeatureCorpus: generated corpora distributed as feature rows, for the test bed of corpus kinds.
//   wikipedia — one label a pair (10 classes of unequal size); weak 128-d bag-of-visual-words
//               count rows for images; 10-d topic proportions (LDA-like) for texts; 693 queries,
//               the rest both retrieval and training set, as the Wikipedia benchmark is split.
//   mirflickr — 24 labels, several a pair (drawn through latent scenes); 512-d dense non-negative
//               rows for images (CNN-like); a 1,386-tag binary bag-of-words for texts, whose tags
//               follow the labels loosely and carry noise. With label and tag matrices given (the
//               real LAll and YAll of MIRFlickr-25K), only the image rows are generated, from
//               each pair's labels: a real benchmark's label co-occurrence and tag noise.

import Foundation

public enum FeatureCorpusKind: String, CaseIterable, Sendable {
  case wikipedia, mirflickr
}

public struct FeatureCorpusSettings: Sendable {
  public var kind: FeatureCorpusKind
  public var pairs: Int
  public var seed: UInt64
  /// Label sets and tag texts read from MATLAB files instead of generated (mirflickr only).
  public var labelsAndTexts: MatImportSettings?
  public init(kind: FeatureCorpusKind, pairs: Int? = nil, seed: UInt64 = 1) {
    self.kind = kind; self.pairs = pairs ?? (kind == .wikipedia ? 2866 : 6000); self.seed = seed
  }
}

public enum FeatureCorpus {
  public static func generate(into directory: URL, settings s: FeatureCorpusSettings) throws -> Corpus {
    if let matrices = s.labelsAndTexts { return try withGeneratedImages(matrices, into: directory, seed: s.seed) }
    precondition(s.pairs >= 20, "FeatureCorpus: at least 20 pairs")
    var g = SplitGenerator(seed: s.seed)
    var corpus = s.kind == .wikipedia ? wikipedia(s.pairs, &g, directory) : mirflickr(s.pairs, &g, directory)
    corpus.info.source = "cmh corpus make-features --like \(s.kind.rawValue) --pairs \(s.pairs) --seed \(s.seed)"
    let queries = s.kind == .wikipedia ? s.pairs * 693 / 2866 : s.pairs / 10
    let order = g.shuffled(Array(0..<s.pairs))
    let retrieval = Array(order[queries...]).sorted()
    let train = s.kind == .wikipedia ? retrieval : Array(g.shuffled(retrieval).prefix(s.pairs / 2)).sorted()
    corpus.splits = Splits(query: Array(order[..<queries]).sorted(), retrieval: retrieval, train: train)
    try corpus.write(to: directory)
    return corpus
  }

  // MARK: Wikipedia-like

  static func wikipedia(_ n: Int, _ g: inout SplitGenerator, _ directory: URL) -> Corpus {
    let classes = 10, words = 128, topics = 10
    let sizes = (0..<classes).map { 1.0 / (1.0 + 0.25 * Double($0)) }  // categories of unequal size
    let background = dirichlet([Double](repeating: 1, count: words), &g)
    let visual = (0..<classes).map { _ in dirichlet([Double](repeating: 0.3, count: words), &g) }
    let profile = (0..<classes).map { _ in dirichlet([Double](repeating: 0.4, count: topics), &g) }
    var pairs = [Pair](), image = [Float](), text = [Float]()
    for i in 0..<n {
      let c = draw(sizes, &g)
      // An image's visual words: mostly the background, a share of its class's words.
      let share = 0.03 + 0.05 * g.unit()
      let p = zip(background, visual[c]).map { (1 - share) * $0 + share * $1 }
      var counts = [Float](repeating: 0, count: words)
      for _ in 0..<(120 + g.int(below: 120)) { counts[draw(p, &g)] += 1 }
      image += counts
      // Topic proportions around the class's profile, sometimes around another class's.
      let source = g.unit() < 0.15 ? g.int(below: classes) : c
      text += dirichlet(profile[source].map { 6 * $0 + 0.1 }, &g).map(Float.init)
      pairs.append(Pair(id: String(format: "wiki%05d", i), image: nil, text: nil, labels: [c]))
    }
    let names = ["art", "biology", "geography", "history", "literature", "media", "music", "royalty", "sport", "warfare"]
    return Corpus(directory: directory, info: CorpusInfo(name: "wikipedia-like", labels: names, source: "", textMode: .sentences),
                  pairs: pairs, imageFeatures: FeatureMatrix(rows: n, columns: words, values: image),
                  textFeatures: FeatureMatrix(rows: n, columns: topics, values: text))
  }

  // MARK: MIRFlickr-like

  static func mirflickr(_ n: Int, _ g: inout SplitGenerator, _ directory: URL) -> Corpus {
    let labelCount = 24, scenes = 8, tags = 1386
    // Each scene makes some labels likely; a pair mixes one or two scenes.
    let sceneLabels = (0..<scenes).map { _ in (0..<labelCount).map { _ in g.unit() < 0.15 ? 0.5 + 0.4 * g.unit() : 0.02 } }
    let images = LabelImageModel(labels: labelCount, &g)
    // Tags: each label has a few tags of its own; most tags are noise shared by everyone.
    let labelTags = (0..<labelCount).map { _ in (0..<8).map { _ in g.int(below: tags) } }
    let popularity = (0..<tags).map { 1.0 / Double(1 + $0 % 200) }
    var pairs = [Pair](), image = [Float](), text = [Float]()
    while pairs.count < n {
      let mix = g.unit() < 0.4 ? [g.int(below: scenes), g.int(below: scenes)] : [g.int(below: scenes)]
      let labels = (0..<labelCount).filter { l in mix.contains { g.unit() < sceneLabels[$0][l] } }
      guard !labels.isEmpty else { continue }
      image += images.row(labels, &g)
      var row = [Float](repeating: 0, count: tags)
      for l in labels { for t in labelTags[l] where g.unit() < 0.25 { row[t] = 1 } }
      for _ in 0..<(1 + g.int(below: 5)) { row[draw(popularity, &g)] = 1 }
      if row.allSatisfy({ $0 == 0 }) { row[labelTags[labels[0]][0]] = 1 }
      text += row
      pairs.append(Pair(id: String(format: "flickr%05d", pairs.count), image: nil, text: nil, labels: labels))
    }
    let names = ["animals", "baby", "bird", "car", "clouds", "dog", "female", "flower", "food", "indoor", "lake", "male",
                 "night", "people", "plant life", "portrait", "river", "sea", "sky", "structures", "sunset", "transport", "tree", "water"]
    let vocabulary = (0..<tags).map { "tag\($0)" }
    return Corpus(directory: directory, info: CorpusInfo(name: "mirflickr-like", labels: names, source: "", textMode: .tags, textVocabulary: vocabulary),
                  pairs: pairs, imageFeatures: FeatureMatrix(rows: n, columns: LabelImageModel.dimensions, values: image),
                  textFeatures: FeatureMatrix(rows: n, columns: tags, values: text))
  }

  /// Dense non-negative image rows (CNN-like) that carry a pair's labels: the sum of its labels'
  /// latent vectors and noise, projected to 512 dimensions through a ReLU.
  struct LabelImageModel {
    static let dimensions = 512, latent = 32
    let labelVectors: [[Double]], projection: [[Double]]

    init(labels: Int, _ g: inout SplitGenerator) {
      labelVectors = (0..<labels).map { _ in (0..<Self.latent).map { _ in normal(&g) } }
      projection = (0..<Self.dimensions).map { _ in (0..<Self.latent).map { _ in normal(&g) / Double(Self.latent).squareRoot() } }
    }

    func row(_ labels: [Int], _ g: inout SplitGenerator) -> [Float] {
      var z = (0..<Self.latent).map { _ in 1.2 * normal(&g) }
      for l in labels { for d in 0..<Self.latent { z[d] += labelVectors[l][d] } }
      return projection.map { row in Float(max(0, zip(row, z).map(*).reduce(0, +) + 0.5 * normal(&g))) }
    }
  }

  /// A benchmark's real label sets and tag texts (MIRFlickr-25K's LAll and YAll) with image rows
  /// generated from the labels, split by the standard protocol; for a test bed without the images.
  static func withGeneratedImages(_ matrices: MatImportSettings, into directory: URL, seed: UInt64) throws -> Corpus {
    var (corpus, _) = try MatImporter.importCorpus(matrices, into: directory)
    guard corpus.pairs.count >= 20 else { throw CorpusError(matrices.labels.path, "\(corpus.pairs.count) pairs with a label and a word; expected at least 20") }
    var g = SplitGenerator(seed: seed)
    let model = LabelImageModel(labels: corpus.info.labels.count, &g)
    corpus.imageFeatures = FeatureMatrix(rows: corpus.pairs.count, columns: LabelImageModel.dimensions,
                                         values: corpus.pairs.flatMap { model.row($0.labels, &g) })
    corpus.info.source = "cmh corpus make-features --like mirflickr --labels \(matrices.labels.lastPathComponent):\(matrices.labelVariable) "
      + "--texts \(matrices.texts.lastPathComponent):\(matrices.textVariable) --seed \(seed) (image rows generated from the labels)"
    try corpus.splitByProtocol(seed: seed)
    try corpus.write(to: directory)
    return corpus
  }

  // MARK: Sampling

  static func draw(_ weights: [Double], _ g: inout SplitGenerator) -> Int { ShapesCorpus.draw(weights, &g) }

  /// A standard normal variate (Box–Muller).
  static func normal(_ g: inout SplitGenerator) -> Double {
    let u = max(g.unit(), 1e-300), v = g.unit()
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
  }

  /// A gamma(shape, 1) variate (Marsaglia and Tsang; shape < 1 through the boost u^(1/shape)).
  static func gamma(_ shape: Double, _ g: inout SplitGenerator) -> Double {
    if shape < 1 { return gamma(shape + 1, &g) * pow(max(g.unit(), 1e-300), 1 / shape) }
    let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
      let x = normal(&g), v = pow(1 + c * x, 3)
      if v > 0 && log(max(g.unit(), 1e-300)) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
    }
  }

  /// A draw from the Dirichlet distribution with these concentrations.
  static func dirichlet(_ alpha: [Double], _ g: inout SplitGenerator) -> [Double] {
    let x = alpha.map { gamma($0, &g) }, total = max(x.reduce(0, +), 1e-300)
    return x.map { $0 / total }
  }
}
