// Learning-rate schedules: a factor on each group's base rate as a function of the epoch.

import Foundation

public protocol LearningRateSchedule {
  func factor(epoch: Int) -> Float
}

/// The base rate throughout.
public struct ConstantSchedule: LearningRateSchedule {
  public init() {}
  public func factor(epoch: Int) -> Float { 1 }
}

/// γ^⌊epoch/stepSize⌋, as torch.optim.lr_scheduler.StepLR (halve every 15 epochs: 15, 0.5).
public struct StepSchedule: LearningRateSchedule {
  public let stepSize: Int, gamma: Float
  public init(stepSize: Int, gamma: Float) {
    precondition(stepSize > 0, "StepSchedule: step size must be positive, got \(stepSize)")
    self.stepSize = stepSize
    self.gamma = gamma
  }
  public func factor(epoch: Int) -> Float { powf(gamma, Float(epoch / stepSize)) }
}

/// m + (1 − m)·(1 + cos(π·epoch/T))/2, as CosineAnnealingLR with η_min = m·base.
public struct CosineSchedule: LearningRateSchedule {
  public let totalEpochs: Int, minimumFactor: Float
  public init(totalEpochs: Int, minimumFactor: Float = 0) {
    precondition(totalEpochs > 0, "CosineSchedule: total epochs must be positive, got \(totalEpochs)")
    self.totalEpochs = totalEpochs
    self.minimumFactor = minimumFactor
  }
  public func factor(epoch: Int) -> Float {
    let t = Float(min(epoch, totalEpochs)) / Float(totalEpochs)
    return minimumFactor + (1 - minimumFactor) * (1 + cosf(Float.pi * t)) / 2
  }
}

/// A one-cycle schedule over a run's steps, as torch.optim.lr_scheduler.OneCycleLR with its
/// defaults: the factor rises from 1/25 to 1 over the first 30% of the steps and falls to 1/25e4 by
/// the last, both along a half cosine. A large peak rate reached gently, then a long descent: what
/// lets a network from scratch learn what it learns late (shape) within a fixed budget.
public struct OneCycleSchedule {
  public let totalSteps: Int
  public init(totalSteps: Int) {
    precondition(totalSteps > 0, "OneCycleSchedule: total steps must be positive, got \(totalSteps)")
    self.totalSteps = totalSteps
  }

  /// The factor at step `step` (0-based).
  public func factor(step: Int) -> Float {
    let peak = max(0.3 * Float(totalSteps) - 1, 0), t = Float(min(max(step, 0), totalSteps - 1))
    func anneal(_ from: Float, _ to: Float, _ p: Float) -> Float { to + (from - to) * (1 + cosf(Float.pi * p)) / 2 }
    if t <= peak { return anneal(1 / 25, 1, peak > 0 ? t / peak : 1) }
    return anneal(1, 1 / 25e4, (t - peak) / (Float(totalSteps - 1) - peak))
  }
}
