// TrainBench: training throughput — the text tower's step, an epoch of the shapes corpus, ResNet-34
// at 224² — in pairs/s (`cmh bench train`).

import Corpus
import Experiments
import Foundation
import Model
import Platform
import Tensor
import TextNet
import Training

public struct TrainBench {
  public var repeats: Int, quick: Bool

  public init(repeats: Int = 5, quick: Bool = false) { (self.repeats, self.quick) = (repeats, quick) }

  public func run(measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    var results = [textStep()]
    results.append(try shapesEpoch())
    if !quick { results.append(resnetPairs()) }
    return results
  }

  /// 1,386 → 4,096 → 4,096 → 64 at batch 128, rows with 1% of the words (as the PyTorch script):
  /// forward, backward, RMSprop.
  private func textStep() -> BenchResult {
    var g = RandomGenerator(seed: 1)
    let (vocabulary, batch) = quick ? (200, 16) : (1386, 128)
    let tower = TextTower(inputSize: vocabulary, bits: 64, hidden: quick ? [64, 64] : [4096, 4096], generator: &g)
    let optimizer = RMSprop(groups: [ParameterGroup(tower.namedParameters(), learningRate: 1e-4)])
    let rows = SparseRows(columnCount: vocabulary, rows: (0..<batch).map { _ in
      (0..<vocabulary).compactMap { c in g.nextUniform() < 0.01 ? (column: c, value: Float(1)) : nil }
    })
    let target = g.uniform([batch, 64], -1, 1)
    let seconds = BenchTiming.times(repeats: repeats) {
      let y = tower.forward(sparse: rows)
      for i in 0..<y.count { y.data[i] = 2 * (y.data[i] - target.data[i]) / Float(y.count) }  // MSE gradient
      optimizer.zeroGradients()
      tower.backwardSparse(y)
      optimizer.step()
    }
    return BenchResult(rate: "text_tower.train_step", unit: "samples/s", items: batch, seconds: seconds,
                       parameters: [("vocabulary", .int(vocabulary)), ("batch", .int(batch)), ("threads", .int(Threads.count))])
  }

  /// One epoch (θx, θy, B) of the demo recipe on a generated shapes corpus.
  private func shapesEpoch() throws -> BenchResult {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-bench-train-\(getpid())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let pairs = quick ? 200 : 6000
    var corpus = try ShapesCorpus.generate(into: folder, settings: ShapesCorpusSettings(pairs: pairs, seed: 1))
    try corpus.splitByProtocol(seed: 1)
    let run = try TrainingRun(corpus: corpus, spec: try ShapesRecipe.spec(corpus, bits: 64),
                              settings: ShapesRecipe.settings(epochs: 1, loss: .cauchy, seed: 1, labelEpochs: 0))
    let start = DispatchTime.now().uptimeNanoseconds
    run.loop.run(epochs: 1)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return BenchResult(name: "shapes.train_epoch", unit: "pairs/s", value: Double(run.trainer.count) / seconds,
                       parameters: [("pairs", .int(run.trainer.count)), ("image", .string("compact10 w32 32²")), ("threads", .int(Threads.count))])
  }

  /// ResNet-34 at 224² and the 1,386-word text tower in the alternating loop: one epoch over 64
  /// noise images and random tag rows, batch 32.
  private func resnetPairs() -> BenchResult {
    var g = RandomGenerator(seed: 2)
    let n = 64, vocabulary = 1386
    let spec = ModelSpec(bits: 64, architecture: .resnet34, inputSize: 224, imageHidden: [],
                         text: .features(columns: vocabulary, vocabulary: nil), labels: (0..<24).map { "label\($0)" })
    let model = CrossModalModel(spec: spec, generator: &g)
    let rows = SparseRows(columnCount: vocabulary, rows: (0..<n).map { _ in
      (0..<vocabulary).compactMap { c in g.nextUniform() < 0.01 ? (column: c, value: Float(1)) : nil }
    })
    var settings = TrainingSettings()
    settings.batchSize = 32
    let trainer = Trainer(model: model, settings: settings, images: ImageInputs.noise(count: n, size: 224, seed: 3),
                          texts: TextInputs(rows: rows, coverage: nil), labels: (0..<n).map { [$0 % 24, ($0 * 7) % 24] })
    let start = DispatchTime.now().uptimeNanoseconds
    AlternatingLoop(trainer).run(epochs: 1)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return BenchResult(name: "resnet34_224.train_epoch", unit: "pairs/s", value: Double(n) / seconds,
                       parameters: [("pairs", .int(n)), ("batch", .int(32)), ("threads", .int(Threads.count))])
  }
}
