// cmh index: look inside index files.

import ArgumentParser
import Foundation
import Hashing
import Platform

struct IndexCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "index",
    abstract: "Inspect index files.",
    subcommands: [IndexInfoCommand.self, IndexVerifyCommand.self, IndexEvalCommand.self])
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
    let checked = try IndexVerifyCommand.timedVerify(index)
    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let items = (0..<min(show, index.count)).map(index.item)
    if output.json {
      let object: [String: Any] = [
        "file": file, "modality": index.modality.description, "bits": index.bits, "count": index.count,
        "bytes": size, "format_version": Int(index.version), "open_ms": openMilliseconds, "verify_ms": checked * 1000, "model_fingerprint": index.modelFingerprint.map(IndexFile.hex) ?? NSNull(),
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
    print("checksum   " + (index.version == 1 ? "none (format version 1)" : String(format: "CRC-32 matches, checked in %.2f ms", checked * 1000)))
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

struct IndexVerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check index files for damage: the header against the file, and the CRC-32 of everything after it.",
    discussion: """
      Opening an index maps it and checks its header in microseconds; the CRC-32 of the codes, outputs and \
      items is checked by every command once before it uses the index (about 13 ms for a million 64-bit \
      codes), and by this command on its own. The exit status is 1 when a file is damaged.

      Example: cmh index verify cmh-demo/index/*.cmhindex
      """)

  @Argument(help: "Index files written by `cmh encode`.") var files: [String]
  @OptionGroup var output: OutputOptions

  func validate() throws { guard !files.isEmpty else { throw ValidationError("give at least one index file") } }

  /// Seconds the checksum took; throws when it does not match.
  static func timedVerify(_ index: IndexFile) throws -> Double {
    let started = Date()
    try index.verify()
    return Date().timeIntervalSince(started)
  }

  func run() throws {
    var damaged = 0
    for file in files {
      let result = Result { () -> (IndexFile, Double) in
        let index = try IndexFile(contentsOf: URL(fileURLWithPath: file))
        return (index, try Self.timedVerify(index))
      }
      switch result {
      case .success(let (index, seconds)):
        if output.json {
          print(JSONLine([("file", .string(file)), ("ok", .int(1)), ("count", .int(index.count)), ("bits", .int(index.bits)),
                          ("verify_ms", .number(seconds * 1000, places: 3))]).text)
        } else if !output.quiet {
          print("\(file): ok, \(index.count) × \(index.bits)-bit codes" + (index.version == 1 ? " (format version 1: no checksum)" : String(format: ", checked in %.2f ms", seconds * 1000)))
        }
      case .failure(let error):
        damaged += 1
        if output.json { print(JSONLine([("file", .string(file)), ("ok", .int(0)), ("problem", .string("\(error)"))]).text) }
        else { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
      }
    }
    guard damaged == 0 else { throw CommandError("\(damaged) of \(files.count) index file\(files.count == 1 ? "" : "s") damaged") }
  }
}
