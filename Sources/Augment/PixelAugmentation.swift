// PixelAugmentation: synthetic pairs for the rare label sets of an image corpus, generated in the
// model's input space. A conditional pixel diffusion model (PixelDenoiser under DiffusionGenerator)
// learns the training images at a working size, conditioned on their label sets; it then renders
// one image per planned label set. Each image is written as a PNG under images/ and paired with a
// text (SyntheticTexts); a contact sheet shows samples beside real images of the same set.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import Training

public struct PixelGeneratorSettings: Codable, Equatable, Sendable {
  /// The working size: images are learnt and generated at size × size.
  public var size = 32
  /// The U-Net's width (its first level's channels).
  public var channels = 32
  public var diffusion: DiffusionSettings

  public init() {
    diffusion = DiffusionSettings()
    // At 3,000 iterations the U-Net drew blobs on striped backgrounds whatever the set asked for;
    // at 12,000 it draws the set's colours on its backgrounds (docs/measurements.md).
    diffusion.iterations = 12000
    diffusion.batchSize = 64
    diffusion.learningRate = 5e-4
    diffusion.averageDecay = 0.995
  }
}

public enum PixelAugmentation {
  /// Trains the generator on the training images of `corpus` and writes one image per label set
  /// of `plan` into `folder` (images/, contact-sheet.html); returns the pairs, their images named
  /// relative to `folder`.
  /// `checkpoint` saves the generator's training (Ctrl-C, --resume); `progress(stage, done, total)`
  /// hears the decoding, the training and the sampling.
  public static func generate(_ corpus: Corpus, plan: BalancePlan, settings: PixelGeneratorSettings, into folder: URL,
                              checkpoint: GeneratorCheckpoint? = nil, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> InputPairs {
    let train = try corpus.requireSplits().train, s = settings.size, labelCount = corpus.info.labels.count
    let cache = try PixelCache.open(corpus, size: s) { progress("decoding", $0, $1) }
    let rows = Tensor(zeros: [train.count, 3 * s * s])
    for (r, i) in train.enumerated() { chw(cache.pixels(of: i), into: rows.data + r * 3 * s * s, size: s) }
    var g = RandomGenerator(seed: settings.diffusion.seed)
    let unet = PixelDenoiser(PixelDenoiserShape(size: s, channels: settings.channels, labels: labelCount), generator: &g)
    let model = DiffusionGenerator(unet, labels: labelCount, settings: settings.diffusion, scaling: .fixed(mean: 0.5, scale: 0.5), generator: g)
    let iterations = settings.diffusion.iterations
    try model.fit(rows, labels: multiHot(train.map { corpus.pairs[$0].labels }, labelCount: labelCount), checkpoint: checkpoint) { i, _ in
      progress("training the generator", i, iterations)
    }

    let images = folder.appendingPathComponent("images")
    try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    var texts = SyntheticTexts(corpus, seed: settings.diffusion.seed)
    var pairs = [Pair](), sources = [String](), samples = [[UInt8]]()
    let sets = plan.labelSets
    for start in stride(from: 0, to: sets.count, by: 64) {
      let chunk = Array(sets[start..<min(start + 64, sets.count)])
      let drawn = model.sample(labels: multiHot(chunk, labelCount: labelCount), clip: 1)
      for (r, set) in chunk.enumerated() {
        let n = start + r, pixels = hwc(drawn.data + r * 3 * s * s, size: s)
        guard let text = texts.text(for: set) else {
          throw TrainingError(description: "\(corpus.directory.path): no training text holds label \(set.map { corpus.info.labels[$0] }.joined(separator: ", ")) to pair with a generated image")
        }
        let name = String(format: "synthetic-%06d", n)
        try AtomicFile.write(PNG.encode(RGBImage(width: s, height: s, pixels: pixels)), to: images.appendingPathComponent(name + ".png"))
        pairs.append(Pair(id: name, image: "images/\(name).png", text: text.text, labels: set, synthetic: true))
        sources.append(text.source)
        samples.append(pixels)
      }
      progress("generating", min(start + 64, sets.count), sets.count)
    }
    try ContactSheet(corpus: corpus, cache: cache, size: s).write(generated: zip(sets, samples).map { ($0, $1) }, plan: plan,
                                                                 to: folder.appendingPathComponent("contact-sheet.html"))
    return InputPairs(pairs: pairs, sources: sources)
  }

  /// HWC bytes to CHW floats in 0…1.
  static func chw(_ pixels: [UInt8], into row: UnsafeMutablePointer<Float>, size s: Int) {
    for c in 0..<3 { for q in 0..<(s * s) { row[c * s * s + q] = Float(pixels[q * 3 + c]) / 255 } }
  }

  /// CHW floats (0…1, clipped) to HWC bytes.
  static func hwc(_ row: UnsafePointer<Float>, size s: Int) -> [UInt8] {
    var pixels = [UInt8](repeating: 0, count: 3 * s * s)
    for c in 0..<3 { for q in 0..<(s * s) { pixels[q * 3 + c] = UInt8(max(0, min(255, (row[c * s * s + q] * 255).rounded()))) } }
    return pixels
  }
}
