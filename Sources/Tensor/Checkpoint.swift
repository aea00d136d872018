// Checkpoint: a model's parameters and buffers, the optimiser's state and the training position
// in one versioned file, so that a resumed run takes exactly the steps the uninterrupted one would.

import Foundation
import Platform

public enum CheckpointError: Error, CustomStringConvertible {
  case invalid(String)
  public var description: String {
    switch self { case .invalid(let why): return "invalid checkpoint: \(why)" }
  }
}

/// Where training stands, stored in the checkpoint's header.
public struct TrainingPosition: Codable, Equatable {
  public var epoch: Int
  public var step: Int
  /// Named random generators of the training loop (shuffling), as 16-digit hex words.
  public var generators: [String: [String]]
  /// Free-form settings the trainer wants back (seed, options).
  public var notes: [String: String]

  public init(epoch: Int, step: Int, generators: [String: RandomGenerator] = [:], notes: [String: String] = [:]) {
    self.epoch = epoch
    self.step = step
    self.generators = generators.mapValues { $0.state.map { String($0, radix: 16) } }
    self.notes = notes
  }

  /// A generator saved under `name`, if the checkpoint has it.
  public func generator(_ name: String) -> RandomGenerator? {
    guard let words = generators[name]?.compactMap({ UInt64($0, radix: 16) }), words.count == 4 else { return nil }
    return RandomGenerator(state: words)
  }
}

public enum Checkpoint {
  public static let magic = "CMHCKPT\0"

  private struct Header: Codable {
    var kind = "checkpoint"
    var position: TrainingPosition
    /// Each optimiser's group learning rates, by optimiser name.
    var learningRates: [String: [Float]]
    /// Random generators of modules such as Dropout, by module path.
    var moduleGenerators: [String: [String]]
  }

  /// Saves `model` (parameters and buffers), the named optimisers' state, the position and any
  /// `extra` tensors the trainer keeps (running code matrices), atomically.
  public static func save(to url: URL, model: Module, optimizers: [(String, Optimizer)], position: TrainingPosition,
                          extra: [(String, Tensor)] = []) throws {
    var tensors = model.namedParameters().map { ("param." + $0.0, $0.1.value) }
    tensors += model.namedBuffers().map { ("buffer." + $0.0, $0.1.value) }
    for (name, optimizer) in optimizers { tensors += optimizer.namedState.map { ("optim.\(name)." + $0.0, $0.1) } }
    tensors += extra.map { ("extra." + $0.0, $0.1) }
    let generators = model.namedModules().compactMap { path, m -> (String, [String])? in
      (m as? RandomModule).map { (path, $0.generator.state.map { String($0, radix: 16) }) }
    }
    let rates = Dictionary(optimizers.map { ($0.0, $0.1.groups.map(\.learningRate)) }, uniquingKeysWith: { a, _ in a })
    let header = Header(position: position, learningRates: rates, moduleGenerators: Dictionary(uniqueKeysWithValues: generators))
    let encoder = JSON.encoder(escapingSlashes: true)
    try TensorArchive(metadata: encoder.encode(header), tensors: tensors).write(to: url, magic: magic)
  }

  /// The position stored in a checkpoint, read before a model exists to load it into (the
  /// trainer keeps what rebuilds the model in its notes).
  public static func position(at url: URL) throws -> TrainingPosition {
    let archive = try TensorArchive.read(from: url, magic: magic, what: "checkpoint")
    do { return try JSONDecoder().decode(Header.self, from: archive.metadata).position } catch {
      throw FileError(path: url.path, problem: "the checkpoint header is not valid: \(error)")
    }
  }

  /// Loads a checkpoint into `model` and the named optimisers; every parameter and buffer must be
  /// present with its shape. Returns the position and the extra tensors by name.
  @discardableResult
  public static func load(from url: URL, into model: Module, optimizers: [(String, Optimizer)]) throws -> (position: TrainingPosition, extra: [String: Tensor]) {
    let archive = try TensorArchive.read(from: url, magic: magic, what: "checkpoint")
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: archive.metadata) } catch {
      throw FileError(path: url.path, problem: "the checkpoint header is not valid: \(error)")
    }
    let stored = Dictionary(archive.tensors, uniquingKeysWith: { a, _ in a })
    func restore(_ key: String, into target: Tensor) throws {
      guard let t = stored[key] else { throw FileError(path: url.path, problem: "\(key) is missing; was it written for another model?") }
      guard t.shape == target.shape else { throw FileError(path: url.path, problem: "\(key) has shape \(t.shape), the model expects \(target.shape)") }
      target.assign(t)
    }
    for (name, p) in model.namedParameters() { try restore("param." + name, into: p.value) }
    for (name, b) in model.namedBuffers() { try restore("buffer." + name, into: b.value) }
    for (path, m) in model.namedModules() {
      guard let r = m as? RandomModule, let words = header.moduleGenerators[path]?.compactMap({ UInt64($0, radix: 16) }), words.count == 4 else { continue }
      r.generator = RandomGenerator(state: words)
    }
    for (name, optimizer) in optimizers {
      let prefix = "optim.\(name)."
      let state = Dictionary(archive.tensors.filter { $0.0.hasPrefix(prefix) }.map { (String($0.0.dropFirst(prefix.count)), $0.1) }, uniquingKeysWith: { a, _ in a })
      do { try optimizer.loadState(state) } catch { throw FileError(path: url.path, problem: "\(error)") }
      for (i, rate) in (header.learningRates[name] ?? []).enumerated() where i < optimizer.groups.count { optimizer.groups[i].learningRate = rate }
    }
    let extra = Dictionary(archive.tensors.filter { $0.0.hasPrefix("extra.") }.map { (String($0.0.dropFirst(6)), $0.1) }, uniquingKeysWith: { a, _ in a })
    return (header.position, extra)
  }
}
