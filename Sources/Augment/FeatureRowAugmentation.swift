// FeatureRowAugmentation: synthetic pairs for a corpus of feature rows, generated in its input
// space — the rows of features/image.npy, the image tower's own input — by the row diffusion
// generator, conditioned on the label sets; each row is paired with the text (and text row) of a
// real training pair with the same label set (SyntheticTexts).

import Corpus
import Foundation
import Model
import Tensor
import Training

enum FeatureRowAugmentation {
  static func generate(_ corpus: Corpus, plan: BalancePlan, settings: DiffusionSettings, into folder: URL,
                       checkpoint: GeneratorCheckpoint?, progress: (String, Int, Int) -> Void) throws -> InputPairs {
    let train = corpus.splits!.train, labelCount = corpus.info.labels.count
    guard let features = corpus.imageFeatures else {
      throw TrainingError(description: "\(corpus.directory.path): the training pairs have neither image files nor feature rows to learn from")
    }
    let rows = Tensor(shape: [train.count, features.columns], values: features.subset(train).values)
    let model = DiffusionGenerator(shape: DenoiserShape(dimensions: features.columns, labels: labelCount), settings: settings)
    try model.fit(rows, labels: multiHot(train.map { corpus.pairs[$0].labels }, labelCount: labelCount), checkpoint: checkpoint) { i, _ in
      progress("training the generator", i, settings.iterations)
    }
    var texts = SyntheticTexts(corpus, seed: settings.seed)
    var pairs = [Pair](), sources = [String](), imageValues = [Float](), textValues = [Float]()
    let sets = plan.labelSets
    for start in stride(from: 0, to: sets.count, by: 512) {
      let chunk = Array(sets[start..<min(start + 512, sets.count)])
      imageValues += model.sample(labels: multiHot(chunk, labelCount: labelCount)).scalars
      for (r, set) in chunk.enumerated() {
        guard let text = texts.text(for: set) else {
          throw TrainingError(description: "\(corpus.directory.path): no training pair holds label \(set.map { corpus.info.labels[$0] }.joined(separator: ", ")) to take a text from")
        }
        pairs.append(Pair(id: String(format: "synthetic-%06d", start + r), image: nil, text: text.text, labels: set, synthetic: true))
        sources.append(text.source)
        if let rows = corpus.textFeatures { textValues += merged(text.pairs.map { rows.row($0) }) }
      }
      progress("generating", min(start + 512, sets.count), sets.count)
    }
    let m = pairs.count
    return InputPairs(pairs: pairs, imageRows: FeatureMatrix(rows: m, columns: features.columns, values: imageValues),
                      textRows: corpus.textFeatures.map { FeatureMatrix(rows: m, columns: $0.columns, values: textValues) }, sources: sources)
  }

  /// Several text rows as one: each column's largest value (a bag of words holds every word of them).
  static func merged(_ rows: [ArraySlice<Float>]) -> [Float] {
    var out = Array(rows[0])
    for row in rows.dropFirst() { for (j, v) in row.enumerated() { out[j] = max(out[j], v) } }
    return out
  }
}
