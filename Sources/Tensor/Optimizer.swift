// Optimizer: parameter groups, weight decay and per-parameter state; subclasses (SGD, RMSprop, Adam)
// override two points only: the state a new parameter gets, and one update step.

import Platform

/// Parameters that share a learning rate and weight decay.
public struct ParameterGroup {
  public var parameters: [(String, Parameter)]
  public let baseLearningRate: Float
  public var learningRate: Float
  public var weightDecay: Float

  public init(_ parameters: [(String, Parameter)], learningRate: Float, weightDecay: Float = 0) {
    self.parameters = parameters
    self.baseLearningRate = learningRate
    self.learningRate = learningRate
    self.weightDecay = weightDecay
  }
}

open class Optimizer {
  public var groups: [ParameterGroup]
  /// Names of the per-parameter state tensors, in the order `newState` returns them.
  public let stateNames: [String]
  private var state: [String: [Tensor]] = [:]

  public init(groups: [ParameterGroup], stateNames: [String]) {
    let names = groups.flatMap { $0.parameters.map(\.0) }
    precondition(Set(names).count == names.count, "Optimizer: a parameter name appears twice")
    self.groups = groups
    self.stateNames = stateNames
  }

  /// The state tensors of a parameter before its first step (zeros of its shape by default).
  open func newState(for parameter: Parameter) -> [Tensor] {
    stateNames.map { _ in Tensor(zeros: parameter.value.shape) }
  }

  /// One update of `segments` of a parameter's elements from `gradient`, which already includes
  /// weight decay; `weights`, `gradient` and each of `state` point at element 0 of their tensors.
  /// `step` is this parameter's step number, starting at 1. Large parameters are updated in parts
  /// on all threads. With `bf16` (only where `writesBF16` is true), the updated weights rounded to
  /// bf16 go there too, packed, the segments' first element at `bf16`.
  open func update(weights: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, state: [UnsafeMutablePointer<Float>],
                   segments: Segments, step: Int, learningRate: Float, bf16: UnsafeMutablePointer<UInt16>?) {
    fatalError("Optimizer.update must be overridden")
  }

  /// The update writes a dense layer's bf16 copy of its weights as it goes (BF16Copy).
  open var writesBF16: Bool { false }

  /// Applies one step to every trainable parameter from its accumulated gradient.
  public func step() {
    for group in groups {
      for (name, p) in group.parameters where p.isTrainable {
        let s = state[name] ?? ([Tensor(zeros: [1])] + newState(for: p))
        state[name] = s
        s[0].data[0] += 1
        let gradient = decayed(p, group.weightDecay), step = Int(s[0].data[0]), rate = group.learningRate
        let (w, g, states) = (p.value.data, gradient.data, s.dropFirst().map(\.data))
        let owned = p.owned ?? .all(p.value.count)
        // The layer's bf16 copy is written where it holds exactly what this step updates.
        let copy = writesBF16 ? p.bf16Copy.flatMap { $0.region == owned ? $0 : nil } : nil
        owned.inParts { part in
          self.update(weights: w, gradient: g, state: states, segments: part, step: step, learningRate: rate,
                      bf16: copy.map { $0.buffer.pointer + owned.packedOffset(of: part) })
        }
        // A copy the step did not write no longer holds the weights.
        p.bf16Copy?.writtenAt = copy == nil ? nil : p.value.writes
      }
    }
  }

  /// g + λ·w (PyTorch's L2 weight decay), or the gradient itself when λ = 0.
  private func decayed(_ p: Parameter, _ lambda: Float) -> Tensor {
    guard lambda != 0 else { return p.grad }
    let g = p.grad.copy()
    for i in 0..<g.count { g.data[i] += lambda * p.value.data[i] }
    return g
  }

  /// Sets every group's learning rate to its base rate times the schedule's factor for `epoch`.
  public func applySchedule(_ schedule: LearningRateSchedule, epoch: Int) {
    for i in groups.indices { groups[i].learningRate = groups[i].baseLearningRate * schedule.factor(epoch: epoch) }
  }

  /// Sets the gradients of every parameter of every group to zero (`Parameter.zeroGradient`).
  public func zeroGradients() {
    for group in groups { for (_, p) in group.parameters { p.zeroGradient() } }
  }

  // MARK: State for checkpoints

  /// The state tensors of `parameter` (without its step count), none before its first step.
  public func state(of parameter: Parameter) -> [Tensor] {
    for group in groups {
      for (name, p) in group.parameters where p === parameter { return state[name].map { Array($0.dropFirst()) } ?? [] }
    }
    return []
  }

  /// The state as named tensors: `<parameter>.step`, `<parameter>.<state name>`.
  public var namedState: [(String, Tensor)] {
    state.keys.sorted().flatMap { name in
      zip(["step"] + stateNames, state[name]!).map { ("\(name).\($0)", $1) }
    }
  }

  /// Restores state written by `namedState`; parameters without an entry start fresh.
  public func loadState(_ tensors: [String: Tensor]) throws {
    state = [:]
    for group in groups {
      for (name, p) in group.parameters {
        guard let step = tensors["\(name).step"] else { continue }
        // The step count becomes an Int in every update: a whole number of sane size.
        guard step.count == 1, let n = step.scalars.first, n >= 0, n < 1e12, n == n.rounded() else {
          throw CheckpointError.invalid("optimizer step of \(name) is \(step.scalars.prefix(2)), expected one whole number ≥ 0")
        }
        var s = [step.copy()]
        for stateName in stateNames {
          guard let t = tensors["\(name).\(stateName)"], t.shape == p.value.shape else {
            throw CheckpointError.invalid("optimizer state \(name).\(stateName) is missing or has the wrong shape")
          }
          s.append(t.copy())
        }
        state[name] = s
      }
    }
  }
}
