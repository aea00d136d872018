// ModelInputs: a model file and a corpus's splits as the commands name them in errors.

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
}
