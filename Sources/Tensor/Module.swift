// Module: the layer protocol (forward + backward), named parameters and buffers like PyTorch's state_dict.

/// A trainable tensor with its accumulated gradient.
public final class Parameter {
  public var value: Tensor
  private let gradient: Tensor
  /// Frozen parameters keep their gradient at zero and are skipped by optimisers.
  public var isTrainable = true
  /// The elements this process computes gradients for and updates (nil: all); the rest belong to
  /// other ranks of a data-parallel run (UnitShare) and are brought back between epochs.
  public var owned: Segments?
  /// The gradient is zero, its numbers not yet cleared (`zeroGradient`): PyTorch's set_to_none. A
  /// product that writes the whole gradient (`writableGradient`) then skips two passes over memory,
  /// clearing and adding (the demo text tower's 4,096² layer: 67 MB each, every text step).
  private var zeroPending = false
  /// A dense layer's weights rounded to bf16 for its next pass, which optimiser steps write.
  var bf16Copy: BF16Copy?

  public init(_ value: Tensor) {
    self.value = value
    self.gradient = Tensor(zeros: value.shape)
  }

  /// The accumulated gradient (cleared to zeros first after `zeroGradient`).
  public var grad: Tensor {
    if zeroPending {
      zeroPending = false
      (owned ?? .all(gradient.count)).inParts { part in
        for r in part.ranges { (gradient.data + r.lowerBound).update(repeating: 0, count: r.count) }
      }
    }
    return gradient
  }

  /// Sets the gradient to zero; its numbers are cleared when next read.
  public func zeroGradient() { zeroPending = true }

  /// The gradient for a product that writes every element this process owns: `accumulate` false
  /// when it is zero (write, do not add: the numbers there are stale).
  public func writableGradient() -> (gradient: Tensor, accumulate: Bool) {
    defer { zeroPending = false }
    return (gradient, !zeroPending)
  }
}

/// A non-trainable tensor that belongs to the model's state (BatchNorm's running statistics).
public final class Buffer {
  public var value: Tensor
  public init(_ value: Tensor) { self.value = value }
}

/// A layer or a network of layers.
///
/// `forward` keeps what `backward` needs; `backward` takes the gradient of the loss with respect to
/// the output, accumulates (+=) parameter gradients and returns the gradient with respect to the
/// input. Call them in pairs: one backward after each training forward.
public protocol Module: AnyObject {
  func forward(_ input: Tensor) -> Tensor
  func backward(_ outputGradient: Tensor) -> Tensor
  /// `forward` in evaluation mode with no backward to follow, so that layers may be fused
  /// (a convolution with the BatchNorm and ReLU after it) and keep nothing.
  func infer(_ input: Tensor) -> Tensor
  /// Parameters owned directly by this module, named as in PyTorch (`weight`, `bias`).
  var ownParameters: [(String, Parameter)] { get }
  /// Buffers owned directly by this module (`running_mean`, ...).
  var ownBuffers: [(String, Buffer)] { get }
  /// Sub-modules with their names (`layer1`, `0`, `conv1`).
  var children: [(String, Module)] { get }
  /// Training mode (batch statistics, dropout) or evaluation mode.
  var isTraining: Bool { get set }
}

extension Module {
  public var ownParameters: [(String, Parameter)] { [] }
  public var ownBuffers: [(String, Buffer)] { [] }
  public var children: [(String, Module)] { [] }

  public func infer(_ input: Tensor) -> Tensor { forward(input) }

  public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }

  /// All parameters below this module, with dotted names (`layer1.0.conv1.weight`).
  public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
    var result = ownParameters.map { (prefix + $0.0, $0.1) }
    for (name, child) in children { result += child.namedParameters(prefix: prefix + name + ".") }
    return result
  }

  /// All buffers below this module, with dotted names (`bn1.running_mean`).
  public func namedBuffers(prefix: String = "") -> [(String, Buffer)] {
    var result = ownBuffers.map { (prefix + $0.0, $0.1) }
    for (name, child) in children { result += child.namedBuffers(prefix: prefix + name + ".") }
    return result
  }

  /// This module and every module below it, with dotted paths ("" for this one).
  public func namedModules(prefix: String = "") -> [(String, Module)] {
    var result: [(String, Module)] = [(prefix, self)]
    for (name, child) in children {
      result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
    }
    return result
  }

  /// Switches this module and all below it to training (true) or evaluation (false) mode.
  public func setTraining(_ training: Bool) {
    for (_, module) in namedModules() { module.isTraining = training }
  }

  /// Sets every parameter gradient to zero.
  public func zeroGradients() {
    for (_, p) in namedParameters() { p.zeroGradient() }
  }

  /// Total number of parameter elements.
  public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.1.value.count } }
}

/// A module whose behaviour depends on random numbers (Dropout); checkpoints save its generator.
public protocol RandomModule: Module {
  var generator: RandomGenerator { get set }
}
