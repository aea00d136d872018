// QueryBench: query encoding per image and per text, one at a time and batched, in queries/s; the
// first model is the reference of the speed-up (`cmh bench query`).

import Foundation
import Model
import Platform
import Tensor

public struct QueryBench {
  public var models: [String], threads: Int, batch: Int, singles: Int, repeats: Int

  public init(models: [String], threads: Int = 1, batch: Int = 64, singles: Int = 32, repeats: Int = 5) {
    (self.models, self.threads, self.batch, self.singles, self.repeats) = (models, threads, batch, singles, repeats)
  }

  public func run(measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    Threads.set(threads)
    var results = [BenchResult](), reference = [String: Double]()
    for (m, path) in models.enumerated() {
      let model = try CrossModalModel.load(from: URL(fileURLWithPath: path), fixed: true)
      model.setTraining(false)
      var g = RandomGenerator(seed: 1)
      // Inputs are made before timing: the figures are the towers' time alone (no decoding, no tokenizing).
      let images = imageInputs(model.spec, count: batch, &g), texts = textInputs(model.spec, count: batch, &g)
      let oneImage = (0..<singles).map { images($0 % batch, 1) }, oneText = (0..<singles).map { texts.rows([$0 % batch]) }
      let allImages = images(0, batch)
      let figures: [(String, String, Int, () -> Void)] = [
        ("query.image.single", "images/s", singles, { for x in oneImage { _ = model.image.infer(x) } }),
        ("query.image.batched", "images/s", batch, { _ = model.image.infer(allImages) }),
        ("query.text.single", "texts/s", singles, { for x in oneText { _ = model.text.infer(sparse: x) } }),
        ("query.text.batched", "texts/s", batch, { _ = model.text.infer(sparse: texts) }),
      ]
      for (name, unit, items, body) in figures {
        let seconds = BenchTiming.times(repeats: repeats, body)
        var parameters: [(String, JSONLine.Value)] = [("model", .string(path)), ("threads", .int(threads)), ("ms_per_query", .number(seconds.median * 1000 / Double(items), places: 3)),
                          ("parameters", .int(model.parameterCount))]
        let rate = Double(items) / seconds.median
        if m == 0 { reference[name] = rate } else if let base = reference[name] { parameters.append(("speedup", .number(rate / base, places: 2))) }
        results.append(BenchResult(rate: name, unit: unit, items: items, seconds: seconds, parameters: parameters))
        measured(results.last!)
      }
    }
    return results
  }

  /// `count` inputs of the image tower's kind (normalised pixels or standardised feature rows;
  /// timing does not depend on the values), sliced as `(start, n)`.
  private func imageInputs(_ spec: ModelSpec, count: Int, _ g: inout RandomGenerator) -> (Int, Int) -> Tensor {
    let item = spec.architecture == .mlp ? [spec.imageFeatures ?? 1] : [3, spec.inputSize, spec.inputSize]
    let all = g.normal([count] + item), size = all.itemCount
    return { start, n in Tensor(shape: [n] + item, values: Array(UnsafeBufferPointer(start: all.data + start * size, count: n * size))) }
  }

  /// `count` texts of 8 random vocabulary words (or 8 random columns of feature rows).
  private func textInputs(_ spec: ModelSpec, count: Int, _ g: inout RandomGenerator) -> SparseRows {
    let columns = spec.text.columns
    if let vocabulary = spec.text.vocabulary, case .words = spec.text {
      return vocabulary.encode((0..<count).map { _ in (0..<8).map { _ in vocabulary.words[g.nextInt(below: vocabulary.count)] }.joined(separator: " ") }).rows
    }
    return SparseRows(columnCount: columns, rows: (0..<count).map { _ in
      Set((0..<8).map { _ in g.nextInt(below: columns) }).sorted().map { (column: $0, value: Float(1)) }
    })
  }
}
