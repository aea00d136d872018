// GeneratorCheckpoint: where a diffusion generator's training saves itself — its weights, Adam's
// state, the weight averages, the random generator and the iteration — so that Ctrl-C stops it
// with nothing lost and `--resume` goes on exactly where it stopped, as `cmh train` does.

import Foundation
import Model
import Platform
import Tensor

public struct GeneratorCheckpoint {
  /// What a training does with a checkpoint it finds at `url`.
  public enum Resume: Sendable {
    /// Starts at the first iteration and writes over it.
    case no
    /// Goes on from it (or, trained to the end, only renders); one of another training, or of more
    /// iterations than asked, is refused by name.
    case same
    /// The same, but one of another training is trained over from the first iteration (a working
    /// folder of one's own: `cmh experiment longtail`).
    case sameOrStartOver
  }

  public var url: URL
  public var resume: Resume
  /// Seconds between saves.
  public var interval: TimeInterval = 60
  /// Asked after every iteration; true saves and stops.
  public var shouldStop: () -> Bool

  public init(url: URL, resume: Resume, shouldStop: @escaping () -> Bool = { StopFlag.shared.isSet }) {
    self.url = url
    self.resume = resume
    self.shouldStop = shouldStop
  }

  /// What a training is of — its settings but the iteration count (a resumed training may run
  /// longer) and those of sampling alone (a trained generator renders with any), its network's
  /// weight shapes, and the CRC-32 of its rows and labels — in a line: a checkpoint saved by
  /// another training is refused.
  static func identity(settings: DiffusionSettings, network: Module, rows: Tensor, labels: Tensor) -> String {
    var fixed = settings
    (fixed.iterations, fixed.guidance, fixed.samplingSteps) = (0, 0, 0)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys  // the same settings, the same line
    let json = (try? encoder.encode(fixed)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let weights = network.namedParameters().map { "\($0.0)\($0.1.value.shape)" }.joined(separator: ",")
    let crcs = [rows, labels].map { String(CRC32.of($0.data, count: $0.count * MemoryLayout<Float>.size), radix: 16) }
    return "\(json) \(weights) rows \(rows.shape) crc \(crcs.joined(separator: " "))"
  }

  /// The iteration the checkpoint stopped after (0: none to resume), with `network`, `optimizer`,
  /// `averages` and `generator` restored from it; `iterations` is what the training asks for.
  func restore(_ network: Module, optimizer: Optimizer, averages: [Tensor], generator: inout RandomGenerator, identity: String, iterations: Int) throws -> Int {
    guard resume != .no, FileManager.default.fileExists(atPath: url.path) else { return 0 }
    let position = try Checkpoint.position(at: url)
    let other = position.notes["identity"] != identity
    guard !other, position.step <= iterations else {
      if resume == .sameOrStartOver { return 0 }
      throw TrainingError(description: other
        ? "\(url.path) was saved by another generator training (other settings or training images); delete it, or leave out --resume to start again"
        : "\(url.path) holds \(position.step) iterations of this training, more than the \(iterations) asked: ask for \(position.step) to render with it, "
          + "or leave out --resume to train \(iterations) again")
    }
    let (_, extra) = try Checkpoint.load(from: url, into: network, optimizers: [("adam", optimizer)])
    for (i, a) in averages.enumerated() {
      guard let t = extra["average.\(i)"], t.shape == a.shape else { throw FileError(path: url.path, problem: "average.\(i) is missing or mis-shaped") }
      a.assign(t)
    }
    guard let saved = position.generator("diffusion") else { throw FileError(path: url.path, problem: "the generator's random state is missing") }
    generator = saved
    return position.step
  }

  /// Saves the state after `iteration`, atomically.
  func save(_ network: Module, optimizer: Optimizer, averages: [Tensor], generator: RandomGenerator, iteration: Int, identity: String) throws {
    try Checkpoint.save(to: url, model: network, optimizers: [("adam", optimizer)],
                        position: TrainingPosition(epoch: 0, step: iteration, generators: ["diffusion": generator], notes: ["identity": identity]),
                        extra: averages.enumerated().map { ("average.\($0)", $1) })
  }
}
