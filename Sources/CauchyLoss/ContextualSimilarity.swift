// ContextualSimilarity: the loss of contextual similarity distillation (Wu et al., CVPR 2022),
// against a gallery of binary codes. For a query with student output u and teacher output t, over
// its context of gallery codes b_1 … b_K (±1):
//   s_j = ⟨u, b_j⟩ / k,   r_j = ⟨t, b_j⟩ / k
//   p = softmax(r / τ_t),  q = softmax(s / τ_s),  L = Σ_j p_j log(p_j / q_j)
//   ∂L/∂s_j = (q_j − p_j) / τ_s,   ∂L/∂u = Σ_j ∂L/∂s_j · b_j / k
// averaged over the batch; beside it the first-order term β‖u − t‖² (the student's output against
// the teacher's for the same item).

import Foundation
import Tensor

public struct ContextualSimilarity: Sendable {
  public var studentTemperature: Float
  public var teacherTemperature: Float

  public init(studentTemperature: Float, teacherTemperature: Float) {
    precondition(studentTemperature > 0 && teacherTemperature > 0, "ContextualSimilarity: temperatures must be positive")
    self.studentTemperature = studentTemperature
    self.teacherTemperature = teacherTemperature
  }

  /// The KL divergence of the student's context distribution from the teacher's, mean over the
  /// batch, and its gradient for u. `u`, `teacher`: [b, k]; `context`: [b, K, k] of ±1 codes.
  /// `rows`: the whole batch's row count when these are one rank's part of it.
  public func evaluate(_ u: Tensor, teacher t: Tensor, context: Tensor, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    let (local, k) = (u.shape[0], u.shape[1]), size = context.shape[1], b = rows ?? local
    precondition(t.shape == u.shape && context.shape == [local, size, k], "ContextualSimilarity: u \(u.shape), teacher \(t.shape), context \(context.shape)")
    let gradient = Tensor(zeros: u.shape)
    var loss = 0.0
    var s = [Float](repeating: 0, count: size), r = [Float](repeating: 0, count: size)
    for i in 0..<local {
      let codes = context.data + i * size * k, ui = u.data + i * k, ti = t.data + i * k
      for j in 0..<size {
        s[j] = Self.dot(ui, codes + j * k, k) / Float(k) / studentTemperature
        r[j] = Self.dot(ti, codes + j * k, k) / Float(k) / teacherTemperature
      }
      let logQ = Self.logSoftmax(s), logP = Self.logSoftmax(r)
      let gi = gradient.data + i * k
      for j in 0..<size {
        let p = exp(logP[j])
        loss += Double(p * (logP[j] - logQ[j]))
        // ∂L/∂s_j through s_j = ⟨u, b_j⟩ / (k τ_s), over the batch mean.
        let scale = (exp(logQ[j]) - p) / (studentTemperature * Float(k) * Float(b))
        let code = codes + j * k
        for c in 0..<k { gi[c] += scale * code[c] }
      }
    }
    return (Float(loss / Double(b)), gradient)
  }

  /// β Σ_i ‖u_i − t_i‖² / b, with its gradient for u: the quantization term's squared distance,
  /// to the teacher's outputs instead of codes.
  public static func firstOrder(_ u: Tensor, teacher t: Tensor, weight beta: Float, rows: Int? = nil) -> (loss: Float, gradient: Tensor) {
    Quantization.evaluate(u, codes: t, alpha: beta, rows: rows)
  }

  private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var sum: Float = 0
    for c in 0..<n { sum += a[c] * b[c] }
    return sum
  }

  private static func logSoftmax(_ x: [Float]) -> [Float] {
    let top = x.max() ?? 0
    let total = log(x.reduce(Float(0)) { $0 + exp($1 - top) }) + top
    return x.map { $0 - total }
  }
}
