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
