// LabelHead: the linear head of the label-prediction term (CauchyLoss/LabelPrediction), shared by
// the image and the text tower, with its own optimiser. It lives only while training: codes are
// what a model keeps, and the head is what made them carry every label.

import CauchyLoss
import Model
import Tensor

final class LabelHead {
  let layer: Linear
  let optimizer: RMSprop
  let term: LabelPrediction

  /// The head's rate: it is one small linear layer that must keep up with both towers.
  static let learningRate: Float = 1e-3

  init(bits: Int, labels: Int, settings: TrainingSettings, items: Int) {
    // A generator of its own, so that turning the term on leaves every other random draw as it was.
    var g = RandomGenerator(seed: settings.seed &+ 0x1ABE1)
    layer = Linear(bits, labels, generator: &g)
    optimizer = RMSprop(groups: [ParameterGroup(layer.namedParameters(), learningRate: Self.learningRate)])
    term = LabelPrediction(weight: settings.labelWeight, items: items)
  }

  /// The term for batch outputs U [b, k] and their labels [b, L], and dL/dU; the head's own
  /// gradient is kept for `step()`.
  func evaluate(_ u: Tensor, labels: Tensor, rows: Int? = nil) -> (Float, Tensor) {
    optimizer.zeroGradients()
    layer.setTraining(true)
    let (loss, dLogits) = term.evaluate(logits: layer.forward(u), labels: labels, rows: rows)
    return (loss, layer.backward(dLogits))
  }

  /// One optimiser step; `ranks` first sums the head's gradient over a data-parallel run's ranks.
  func step(ranks: DataParallel? = nil) {
    ranks?.sumGradients(of: layer)
    optimizer.step()
  }

  /// The head's weights as a checkpoint keeps them.
  var tensors: [(String, Tensor)] { layer.namedParameters().map { ("label_head." + $0.0, $0.1.value) } }
}
