// CollapseGuard: watches each tower's distinct codes after every epoch. A tower whose training
// outputs fall onto fewer sign patterns than its label sets need (half the distinct label sets,
// at most 16, at least 2) has collapsed: it is put back to its weights at the end of its last
// healthy epoch with a fresh optimiser state. The first time, the bit-balance term η‖Fᵀ1‖² is
// switched on for it (η = 0.03), which keeps a tower from putting every item in one corner of the
// cube: small collections, a few hundred pairs, collapsed without it at every rate tried. After
// that, each collapse halves its learning rate, up to three remedies in all; then every epoch
// reports it, so that no run ends in a silently useless model.

import Model
import Tensor

final class CollapseGuard {
  static let maximumRemedies = 3
  /// The bit-balance weight the first remedy switches on (docs/testbed.md, "Small collections").
  static let balanceRemedy: Float = 0.03
  /// Fewer distinct codes than this is a collapse.
  let floor: Int
  /// Per tower (0 image, 1 text): the factor on its scheduled rate, and the remedies used.
  private(set) var rateScale: [Float] = [1, 1]
  private(set) var remedies = [0, 0]
  /// Per tower: the bit-balance weight the guard switched on (0: none).
  private(set) var balance: [Float] = [0, 0]
  /// Per tower: parameter and buffer values at the end of the last healthy epoch.
  private var snapshots: [[Tensor]]

  /// What happened to one tower at the end of an epoch.
  enum Event: Equatable, Sendable {
    /// Restored with the bit-balance term switched on: codes seen, η from now on.
    case balanced(codes: Int, eta: Float)
    /// Restored and slowed down: codes seen, the new rate factor.
    case slowed(codes: Int, rateScale: Float)
    /// Still collapsed and out of remedies.
    case collapsed(codes: Int)
  }

  init(labelSets: Int, towers: [Module]) {
    floor = max(2, min(labelSets, 32) / 2)
    snapshots = towers.map { Self.values($0).map { $0.copy() } }
  }

  /// The tower's state to keep or restore: trainable parameters, then buffers.
  static func values(_ tower: Module) -> [Tensor] {
    tower.namedParameters().map(\.1.value) + tower.namedBuffers().map(\.1.value)
  }

  /// Takes tower `t`'s present weights as its last healthy ones (what the label epochs taught it).
  func keep(_ t: Int, _ tower: Module) {
    for (saved, now) in zip(snapshots[t], Self.values(tower)) { saved.assign(now) }
  }

  /// Checks tower `t` after an epoch with `codes` distinct codes; restores it when it collapsed
  /// and remedies remain (resetting `optimizer`'s state). Returns what happened, nil when healthy.
  func check(_ t: Int, tower: Module, codes: Int, optimizer: Optimizer) -> Event? {
    guard codes < floor else {
      keep(t, tower)
      return nil
    }
    guard remedies[t] < Self.maximumRemedies else { return .collapsed(codes: codes) }
    for (saved, now) in zip(snapshots[t], Self.values(tower)) { now.assign(saved) }
    try? optimizer.loadState([:])
    remedies[t] += 1
    if balance[t] == 0 {
      balance[t] = Self.balanceRemedy
      return .balanced(codes: codes, eta: balance[t])
    }
    rateScale[t] *= 0.5
    return .slowed(codes: codes, rateScale: rateScale[t])
  }

  // MARK: Checkpoints

  /// The guard's position, for a checkpoint's notes, and its snapshots as extra tensors.
  var notes: [String: String] {
    ["guard_rate_scale": rateScale.map { "\($0)" }.joined(separator: ","), "guard_remedies": remedies.map(String.init).joined(separator: ","),
     "guard_balance": balance.map { "\($0)" }.joined(separator: ",")]
  }

  var tensors: [(String, Tensor)] {
    snapshots.enumerated().flatMap { t, values in values.enumerated().map { ("guard.\(t).\($0)", $1) } }
  }

  /// Restores what `notes` and `tensors` saved; a checkpoint written before the guard existed
  /// leaves it as it started (snapshots of the weights at resume).
  func restore(notes: [String: String], tensors: [String: Tensor], towers: [Module]) {
    let scales = notes["guard_rate_scale"]?.split(separator: ",").compactMap { Float($0) } ?? []
    let used = notes["guard_remedies"]?.split(separator: ",").compactMap { Int($0) } ?? []
    if scales.count == 2 && used.count == 2 && scales.allSatisfy({ $0 > 0 && $0 <= 1 }) && used.allSatisfy({ (0...Self.maximumRemedies).contains($0) }) {
      rateScale = scales; remedies = used
    }
    let weights = notes["guard_balance"]?.split(separator: ",").compactMap { Float($0) } ?? []
    if weights.count == 2 && weights.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) { balance = weights }
    for (t, tower) in towers.enumerated() {
      let values = Self.values(tower)
      for (i, value) in values.enumerated() {
        let saved = tensors["guard.\(t).\(i)"]
        snapshots[t][i].assign(saved?.shape == value.shape ? saved! : value)
      }
    }
  }
}
