// LabelPrediction: the codes must name every label. A linear head shared by both towers reads a
// batch of outputs U [b, k] as label logits Z = U Wᵀ + c [b, L], scored by binary cross-entropy
// against the multi-hot labels Y [b, L]:
//   L_label = μ · (n / L) · (1/b) Σ_i Σ_l [ log(1 + e^{z_il}) − y_il z_il ]
// The factor n / L puts it on the similarity term's scale, which sums over all n items for each
// batch row: with μ = 1 a row's label term weighs as its similarity term does whatever the corpus
// size (weight 1 without it was 1/3,000 of the similarity term and changed nothing).
// With balance P > 0 each label's term weighs w_l = (ℓ_l / mean_l' ℓ_l')^P, ℓ_l its loss over the
// batch, taken as a constant (no gradient through w): labels the head already predicts weigh less,
// so the easy ones (colour, scene) do not crowd out a hard one (shape) in the shared layers.

import Foundation
import Tensor

public struct LabelPrediction: Sendable {
  /// μ, and n: the number of training items the similarity term sums over.
  public var weight: Float, items: Int
  /// P of the per-label balance; 0 weighs every label alike.
  public var balance: Float

  public init(weight: Float, items: Int, balance: Float = 0) {
    precondition(weight >= 0 && items >= 1 && balance >= 0, "LabelPrediction: weight \(weight), items \(items), balance \(balance)")
    self.weight = weight
    self.items = items
    self.balance = balance
  }

  /// The loss and dL/dZ for logits Z [b, L] and multi-hot labels Y [b, L]; `rows`: the whole
  /// batch's row count when these are one rank's part of it, and `whole` sums the per-label losses
  /// of all parts (the balance weighs labels by the whole batch's).
  public func evaluate(logits z: Tensor, labels y: Tensor, rows: Int? = nil,
                       whole: ([Float]) -> [Float] = { $0 }) -> (loss: Float, gradient: Tensor) {
    precondition(z.rank == 2 && z.shape == y.shape, "LabelPrediction: logits \(z.shape), labels \(y.shape)")
    let (b, l) = (z.shape[0], z.shape[1])
    let scale = weight * Float(items) / Float(l) / Float(rows ?? b)
    let g = Tensor(zeros: z.shape)
    var perLabel = [Double](repeating: 0, count: l)
    for i in 0..<(b * l) {
      let x = z.data[i], t = y.data[i]
      // log(1 + e^x) computed without overflow for large |x|.
      let softplus = x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
      perLabel[i % l] += Double(softplus - t * x)
      g.data[i] = scale * (1 / (1 + expf(-x)) - t)
    }
    let w = balance > 0 ? weights(whole(perLabel.map(Float.init))) : [Float](repeating: 1, count: l)
    if balance > 0 { for i in 0..<(b * l) { g.data[i] *= w[i % l] } }
    return (Float(zip(perLabel, w).reduce(0.0) { $0 + $1.0 * Double($1.1) }) * scale, g)
  }

  /// w_l = (ℓ_l / mean ℓ)^P for the batch's per-label losses ℓ; all 1 when every loss is 0.
  public func weights(_ losses: [Float]) -> [Float] {
    let mean = losses.reduce(0, +) / Float(losses.count)
    guard mean > 0 else { return losses.map { _ in 1 } }
    return losses.map { powf($0 / mean, balance) }
  }
}
