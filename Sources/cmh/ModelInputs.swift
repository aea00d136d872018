// ModelInputs: loading a model file and the inputs of a corpus's pair sets for it, with progress
// while images decode — shared by encode, eval and demo.

import Corpus
import Foundation
import Model
import Platform
import Training

enum ModelInputs {
  static func model(_ path: String) throws -> CrossModalModel {
    try CrossModalModel.load(from: URL(fileURLWithPath: path))
  }

  static func splits(_ corpus: Corpus) throws -> Splits {
    guard let splits = corpus.splits else {
      throw CommandError("\(corpus.directory.path): no splits/ folder; make one with `cmh corpus split \(corpus.directory.path)`")
    }
    return splits
  }

  /// Both modalities' codes for `pairs`, decoding images with a progress bar labelled `label`.
  static func codes(_ model: CrossModalModel, corpus: Corpus, pairs: [Int], label: String, quiet: Bool) throws -> CodeSet {
    let bar = ProgressBar(total: pairs.count, label: label, quiet: quiet)
    defer { bar.finish() }
    return try CrossModalEvaluation.codes(model, corpus: corpus, pairs: pairs) { bar.update($0) }
  }
}
