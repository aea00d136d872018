// RunRecipe: what a run's checkpoint keeps to rebuild the run with nothing else given — the model's
// spec and the run's settings, as JSON notes — and reading them back, with errors that name the
// checkpoint and what is wrong.

import Foundation
import Model
import Platform
import Tensor

/// Settings of a run on the epoch loop (training, distillation).
public protocol RunSettings: Codable {
  var epochs: Int { get set }
  /// The loop's epochs: `epochs` and any that come before them (training's label epochs).
  var totalEpochs: Int { get }
}

extension DistillationSettings {
  public var totalEpochs: Int { epochs }
}

extension TrainingSettings: RunSettings {}
extension DistillationSettings: RunSettings {}

public enum RunRecipe {
  /// The notes of `spec` and `settings` (under `key`); slashes escaped, as checkpoints always had them.
  public static func notes<Settings: RunSettings>(spec: ModelSpec, settings: Settings, key: String) throws -> [String: String] {
    let encoder = JSON.encoder(escapingSlashes: true)
    return ["spec": String(decoding: try encoder.encode(spec), as: UTF8.self), key: String(decoding: try encoder.encode(settings), as: UTF8.self)]
  }

  /// The checkpoint's position, spec and settings (under `key`); `epochs` replaces the total and
  /// must be more than the epochs done. `run` names what wrote it ("trained", "`cmh train`").
  public static func read<Settings: RunSettings>(_ url: URL, key: String, epochs: Int?, done: String, writer: String)
    throws -> (TrainingPosition, ModelSpec, Settings) {
    let position = try Checkpoint.position(at: url), notes = position.notes
    guard let specJSON = notes["spec"], let settingsJSON = notes[key] else {
      throw TrainingError(description: "\(url.path): the checkpoint does not say how its model was built; was it written by \(writer)?")
    }
    var settings: Settings
    let spec: ModelSpec
    do {
      spec = try JSONDecoder().decode(ModelSpec.self, from: Data(specJSON.utf8))
      settings = try JSONDecoder().decode(Settings.self, from: Data(settingsJSON.utf8))
    } catch {
      throw TrainingError(description: "\(url.path): the checkpoint's model or settings are damaged: \(reason(error))")
    }
    if let epochs {
      settings.epochs = epochs
      let before = settings.totalEpochs - epochs
      if settings.totalEpochs <= position.epoch {
        throw TrainingError(description: "\(url.path): the checkpoint has already \(done) \(position.epoch - before) epochs"
                              + (before > 0 ? " after \(before) label epochs" : "") + "; ask for more than that with --epochs")
      }
    }
    return (position, spec, settings)
  }

  /// A decoding error in a sentence (the debug description says what was wrong).
  static func reason(_ error: Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
    return "\(error)"
  }
}
