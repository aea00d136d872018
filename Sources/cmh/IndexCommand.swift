// cmh index: look inside index files.

import ArgumentParser
import Foundation
import Hashing

struct IndexCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "index",
    abstract: "Inspect index files.",
    subcommands: [IndexInfoCommand.self, IndexEvalCommand.self])
}

struct IndexInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Print what an index file holds: modality, bits, count, and its first items.",
    discussion: "Example: cmh index info cmh-demo/index/image.cmhindex --show 10")

  @Argument(help: "An index file written by `cmh encode`.") var file: String
  @Option(help: "How many items to list.") var show = 5
  @OptionGroup var output: OutputOptions

  func run() throws {
    let started = Date()
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: file))
    let openMilliseconds = Date().timeIntervalSince(started) * 1000
    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let items = (0..<min(show, index.count)).map(index.item)
    if output.json {
      let object: [String: Any] = [
        "file": file, "modality": index.modality.description, "bits": index.bits, "count": index.count,
        "bytes": size, "format_version": Int(index.version), "model_fingerprint": index.modelFingerprint.map(IndexFile.hex) ?? NSNull(),
        "stored_outputs": index.outputs != nil,
        "items": items.map { ["id": $0.id, "display": $0.display, "labels": $0.labels] },
      ]
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    print("file       \(file)")
    print("modality   \(index.modality)")
    print("codes      \(index.count) × \(index.bits) bits (\(index.codes.wordsPerCode) word\(index.codes.wordsPerCode == 1 ? "" : "s") each)")
    print("size       \(size) bytes, format version \(index.version), opened in \(String(format: "%.2f", openMilliseconds)) ms")
    print("outputs    " + (index.outputs == nil ? "none (searches re-rank by the asymmetric score; encode again for stored outputs)"
                                                : "\(index.bits) int8 values an item (searches re-rank by them)"))
    print("model      \(index.modelFingerprint.map { "fingerprint \(IndexFile.hex($0))" } ?? "unknown (written before fingerprints)")")
    for (i, item) in items.enumerated() {
      let labels = item.labels.isEmpty ? "" : "  [\(item.labels.joined(separator: ", "))]"
      print(String(format: "%6d  ", i) + "\(item.id)  \(item.display)\(labels)")
    }
    if index.count > items.count { print("   …  \(index.count - items.count) more") }
  }
}
