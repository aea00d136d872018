// StudentDefaults: what a distillation gets unless told otherwise — the small towers' shapes for
// a gallery model, and rates, epochs and batch as `cmh train` gives the input kinds.

import Model
import Training

extension DistillationSettings {
  /// Settings for a student of `spec`: rates, epochs and batch as `cmh train` gives the input kinds.
  public static func defaults(for spec: ModelSpec) -> DistillationSettings {
    let image = TrainingDefaults.imageKind(spec.architecture)
    var s = DistillationSettings()
    s.epochs = TrainingDefaults.epochs(imageKind: image)
    s.batchSize = TrainingDefaults.batchSize(imageKind: image)
    s.imageLearningRate = TrainingDefaults.imageLearningRate(image)
    s.textLearningRate = TrainingDefaults.textLearningRate(imageKind: image, textKind: TrainingDefaults.textKind(spec))
    return s
  }
}

extension ModelSpec {
  /// The small query towers for a gallery model of `self`: the same bits, inputs and scaling; a
  /// compact10 at a quarter of the width with a 512-unit head on pixels (from either pixel tower),
  /// one 256-unit layer on feature rows, and one 256-unit text layer — unless told otherwise.
  public func student(architecture: ImageArchitecture? = nil, width: Int? = nil, imageHidden: [Int]? = nil, textHidden: [Int]? = nil) -> ModelSpec {
    var spec = self
    spec.architecture = architecture ?? (self.architecture == .mlp ? .mlp : .compact10)
    spec.width = width ?? max(4, self.width / 4)
    spec.imageHidden = imageHidden ?? (spec.architecture == .mlp ? [256] : spec.architecture == .compact10 ? [512] : [])
    spec.textHidden = textHidden ?? [256]
    return spec
  }
}
