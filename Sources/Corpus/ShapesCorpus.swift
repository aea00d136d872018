// ShapesCorpus: the built-in synthetic corpus. Each pair is a JPEG of one to three coloured shapes
// at random places, sizes and angles on a scene background, with a caption or tag list that names
// them with synonyms, varied order, filler words, omissions and typos. Labels are the shapes,
// colours and scene present. --imbalance R makes the label frequencies long-tailed (head/tail ≈ R).

import Foundation
import Platform

public struct ShapesCorpusSettings: Sendable {
  public var pairs = 6000, size = 64, imbalance = 1.0, seed: UInt64 = 1
  public var textMode = TextMode.sentences
  public init(pairs: Int = 6000, size: Int = 64, imbalance: Double = 1, seed: UInt64 = 1, textMode: TextMode = .sentences) {
    self.pairs = pairs; self.size = size; self.imbalance = imbalance; self.seed = seed; self.textMode = textMode
  }
}

public enum ShapesCorpus {
  /// Generates the corpus into `directory` (images/, corpus.json, pairs.jsonl), calling
  /// `progress(done)` as pairs are written.
  public static func generate(into directory: URL, settings s: ShapesCorpusSettings, progress: (Int) -> Void = { _ in }) throws -> Corpus {
    precondition(s.size >= 16 && s.pairs >= 1 && s.imbalance >= 1, "ShapesCorpus: size ≥ 16, pairs ≥ 1, imbalance ≥ 1")
    let images = directory.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    var generator = SplitGenerator(seed: s.seed)
    let weights = (0..<8).map { pow(1 / s.imbalance, Double($0) / 7) }  // within each group, head/tail = imbalance
    var pairs = [Pair]()
    for n in 0..<s.pairs {
      let scene = draw(weights, &generator)
      let objects = (0..<(1 + generator.int(below: 3))).map { _ in (shape: draw(weights, &generator), colour: draw(weights, &generator)) }
      let image = ShapesRenderer.render(scene: scene, objects: objects, size: s.size, generator: &generator)
      let name = String(format: "images/%06d.jpg", n)
      do { try AtomicFile.write(JPEG.encode(image, quality: 90), to: directory.appendingPathComponent(name)) } catch {
        throw CorpusError(directory.appendingPathComponent(name).path, "cannot write the image: \(error)")
      }
      let labels = Set(objects.map(\.shape) + objects.map { 8 + $0.colour } + [16 + scene]).sorted()
      let text = s.textMode == .sentences ? ShapesText.caption(scene: scene, objects: objects, &generator)
                                          : ShapesText.tags(scene: scene, objects: objects, &generator)
      pairs.append(Pair(id: String(format: "shape%06d", n), image: name, text: text, labels: labels))
      progress(n + 1)
    }
    let info = CorpusInfo(name: "shapes", labels: ShapesVocabulary.labels,
                          source: source(s),
                          textMode: s.textMode, labelKinds: ShapesVocabulary.kinds, orientation: .any)
    let corpus = Corpus(directory: directory, info: info, pairs: pairs)
    try corpus.write(to: directory)
    return corpus
  }

  /// The corpus description's `source`: the command that makes the same corpus again.
  public static func source(_ s: ShapesCorpusSettings) -> String {
    "cmh corpus make-shapes --pairs \(s.pairs) --size \(s.size) --imbalance \(s.imbalance) --seed \(s.seed) --text \(s.textMode.rawValue) # generator \(generatorVersion)"
  }

  /// Raised when the same settings draw different images or describe them otherwise, so a
  /// folder's older corpus is made anew (3: corpus.json says the images have no upright).
  static let generatorVersion = 3

  /// An index drawn with probability proportional to its weight.
  static func draw(_ weights: [Double], _ g: inout SplitGenerator) -> Int {
    var r = g.unit() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
      r -= w
      if r < 0 { return i }
    }
    return weights.count - 1
  }
}

/// Draws backgrounds and shapes into an RGB raster.
enum ShapesRenderer {
  static func render(scene: Int, objects: [(shape: Int, colour: Int)], size: Int, generator g: inout SplitGenerator) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: size * size * 3)
    let phase = g.unit() * 6.28, grain = (0..<(size * size)).map { _ in g.unit() }
    for y in 0..<size {
      for x in 0..<size {
        let c = background(scene, x: Double(x) / Double(size), y: Double(y) / Double(size), phase: phase, grain: grain[y * size + x])
        set(&pixels, size, x, y, c)
      }
    }
    for object in objects {
      let radius = Double(size) * (0.12 + 0.12 * g.unit())
      let cx = radius + g.unit() * (Double(size) - 2 * radius), cy = radius + g.unit() * (Double(size) - 2 * radius)
      let angle = g.unit() * 6.283
      let (r, gr, b) = ShapesVocabulary.rgb[object.colour]
      for y in max(0, Int(cy - radius) - 1)..<min(size, Int(cy + radius) + 2) {
        for x in max(0, Int(cx - radius) - 1)..<min(size, Int(cx + radius) + 2) {
          let dx = (Double(x) + 0.5 - cx) / radius, dy = (Double(y) + 0.5 - cy) / radius
          let u = dx * cos(angle) + dy * sin(angle), v = -dx * sin(angle) + dy * cos(angle)
          if inside(object.shape, u, v) { set(&pixels, size, x, y, (Double(r), Double(gr), Double(b))) }
        }
      }
    }
    return RGBImage(width: size, height: size, pixels: pixels)
  }

  private static func set(_ p: inout [UInt8], _ size: Int, _ x: Int, _ y: Int, _ c: (Double, Double, Double)) {
    let i = (y * size + x) * 3
    p[i] = UInt8(max(0, min(255, c.0))); p[i + 1] = UInt8(max(0, min(255, c.1))); p[i + 2] = UInt8(max(0, min(255, c.2)))
  }

  /// Scene colours: night dark with sparse stars, sky gradient, grass and sand grain, water waves,
  /// stripes, dots, and a plain grey.
  private static func background(_ scene: Int, x: Double, y: Double, phase: Double, grain: Double) -> (Double, Double, Double) {
    switch scene {
    case 0: return grain > 0.985 ? (230, 230, 200) : (10 + 20 * y, 12 + 20 * y, 35 + 30 * y)
    case 1: return (110 + 80 * y, 160 + 60 * y, 235)
    case 2: return (40 + 40 * grain, 120 + 60 * grain, 30 + 30 * grain)
    case 3: let w = sin(y * 40 + phase + 3 * sin(x * 6)); return (20, 70 + 30 * w, 150 + 40 * w)
    case 4: return (200 + 30 * grain, 175 + 30 * grain, 120 + 20 * grain)
    case 5: let s = sin((x + y) * 30 + phase) > 0; return s ? (150, 150, 160) : (90, 90, 100)
    case 6: let d = pow(sin(x * 40 + phase), 2) * pow(sin(y * 40), 2) > 0.6; return d ? (180, 120, 130) : (230, 215, 200)
    default: return (128 + 8 * grain, 128 + 8 * grain, 128 + 8 * grain)
    }
  }

  /// Whether the point (u, v) of a shape's own frame (radius 1) lies inside it.
  static func inside(_ shape: Int, _ u: Double, _ v: Double) -> Bool {
    let r = (u * u + v * v).squareRoot()
    switch shape {
    case 0: return r <= 1
    case 1: return abs(u) <= 0.8 && abs(v) <= 0.8
    case 2: return v >= -0.6 && v <= 1 - 1.7 * abs(u)
    case 3: return r <= 0.45 + 0.5 * pow(abs(cos(2.5 * atan2(v, u))), 3)
    case 4: return (abs(u) <= 0.3 && abs(v) <= 1) || (abs(v) <= 0.3 && abs(u) <= 1)
    case 5: return r <= 1 && r >= 0.55
    // A rhombus with unequal diagonals: with |u| + |v| ≤ 1 it was a square turned by 45°, which a
    // shape drawn at a random angle and size cannot be told from.
    case 6: return abs(u) + abs(v) / 0.6 <= 1
    default: return max(abs(u) * 0.866 + abs(v) * 0.5, abs(v)) <= 0.9
    }
  }
}

extension ShapesCorpus {
  /// Generates the corpus into `directory` with a progress bar, splits it by the protocol (the
  /// settings' seed) and writes it.
  public static func make(into directory: URL, settings: ShapesCorpusSettings, console: Console) throws -> Corpus {
    let progress = console.progress(total: settings.pairs, label: "make-shapes")
    var corpus = try generate(into: directory, settings: settings) { progress.update($0) }
    progress.finish()
    try corpus.splitByProtocol(seed: settings.seed)
    try corpus.write(to: directory)
    return corpus
  }
}
