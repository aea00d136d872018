// PretrainedWeights: loads a weight file (.pth from torch.save, or .safetensors) into a network by
// parameter and buffer name, and reports what did not fit: names the network has that the file
// lacks (missing), names the file has that the network lacks (unexpected), and names whose shapes
// differ (mis-shaped, left as they were).

import Foundation
import Tensor

public struct LoadReport: Sendable {
  public var loaded = [String](), missing = [String](), unexpected = [String](), misShaped = [String]()
  /// How many of the loaded tensors are parameters (not buffers such as batch counters).
  public var loadedParameters = 0

  public var summary: String {
    var parts = ["loaded \(loaded.count) tensors"]
    if !missing.isEmpty { parts.append("missing (left as initialised) \(missing.count): \(Self.list(missing))") }
    if !unexpected.isEmpty { parts.append("unexpected (ignored) \(unexpected.count): \(Self.list(unexpected))") }
    if !misShaped.isEmpty { parts.append("mis-shaped (left as initialised) \(misShaped.count): \(Self.list(misShaped))") }
    return parts.joined(separator: "; ")
  }

  static func list(_ names: [String]) -> String { names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", …" : "") }
}

public enum PretrainedWeights {
  /// The tensors of a .pth or .safetensors file (chosen by content, not by name).
  public static func read(_ url: URL) throws -> WeightFile {
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw WeightFileError(path: url.path, problem: "cannot open the file")
    }
    let magic = handle.readData(ofLength: 4)
    try? handle.close()
    return magic.starts(with: [0x50, 0x4B]) ? try TorchCheckpoint.read(url) : try SafeTensors.read(url)
  }

  /// Copies the file's tensors into `module`'s parameters and buffers of the same name (after
  /// stripping `prefix` from the file's names, e.g. "module." of DataParallel checkpoints).
  @discardableResult
  public static func load(_ file: WeightFile, into module: Module, stripping prefix: String = "") -> LoadReport {
    var targets = [String: Tensor]()
    for (name, p) in module.namedParameters() { targets[name] = p.value }
    for (name, b) in module.namedBuffers() { targets[name] = b.value }
    var report = LoadReport(), seen = Set<String>()
    let parameterNames = Set(module.namedParameters().map(\.0))
    for (fileName, tensor) in file.tensors {
      let name = fileName.hasPrefix(prefix) ? String(fileName.dropFirst(prefix.count)) : fileName
      guard let target = targets[name] else { report.unexpected.append(fileName); continue }
      seen.insert(name)
      // A 0-dimensional PyTorch scalar (num_batches_tracked) fits a one-element tensor.
      guard target.shape == tensor.shape || (target.count == 1 && tensor.count == 1) else { report.misShaped.append("\(name) \(tensor.shape)→\(target.shape)"); continue }
      target.assign(tensor)
      report.loaded.append(name)
      if parameterNames.contains(name) { report.loadedParameters += 1 }
    }
    report.missing = (module.namedParameters().map(\.0) + module.namedBuffers().map(\.0)).filter { !seen.contains($0) }
    return report
  }
}
