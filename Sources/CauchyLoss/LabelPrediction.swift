// LabelPrediction: the codes must name every label. A linear head shared by both towers reads a
// batch of outputs U [b, k] as label logits Z = U Wᵀ + c [b, L], scored by binary cross-entropy
// against the multi-hot labels Y [b, L]:
//   L_label = μ · (n / L) · (1/b) Σ_i Σ_l [ log(1 + e^{z_il}) − y_il z_il ]
// The factor n / L puts it on the similarity term's scale, which sums over all n items for each
// batch row: with μ = 1 a row's label term weighs as its similarity term does whatever the corpus
// size (weight 1 without it was 1/3,000 of the similarity term and changed nothing).

import Foundation
import Tensor

public struct LabelPrediction: Sendable {
  /// μ, and n: the number of training items the similarity term sums over.
  public var weight: Float, items: Int

  public init(weight: Float, items: Int) {
    precondition(weight >= 0 && items >= 1, "LabelPrediction: weight \(weight) and items \(items)")
    self.weight = weight
    self.items = items
  }

  /// The loss and dL/dZ for logits Z [b, L] and multi-hot labels Y [b, L]; `rows`: the whole
  /// batch's row count when these are one rank's part of it.
  public func evaluate(logits z: Tensor, labels y: Tensor, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    precondition(z.rank == 2 && z.shape == y.shape, "LabelPrediction: logits \(z.shape), labels \(y.shape)")
    let (b, l) = (z.shape[0], z.shape[1])
    let scale = weight * Float(items) / Float(l) / Float(rows ?? b)
    let g = Tensor(zeros: z.shape)
    var loss = 0.0
    for i in 0..<(b * l) {
      let x = z.data[i], t = y.data[i]
      // log(1 + e^x) computed without overflow for large |x|.
      let softplus = x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
      loss += Double(softplus - t * x)
      g.data[i] = scale * (1 / (1 + expf(-x)) - t)
    }
    return (Float(loss) * scale, g)
  }
}
