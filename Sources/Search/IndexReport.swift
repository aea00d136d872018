// IndexReport: what an index file holds (`cmh index info`) and whether index files are whole
// (`cmh index verify`), as text or JSON.

import Foundation
import Hashing
import Platform

public enum IndexReport {
  /// The JSON object of `cmh index info --json`.
  struct Info: Encodable {
    let file: String, modality: String, bits: Int, count: Int, bytes: Int, formatVersion: Int
    let openMilliseconds: Double, verifyMilliseconds: Double
    let modelFingerprint: String?
    let storedOutputs: Bool
    let items: [Item]

    struct Item: Encodable { let id: String, display: String, labels: [String] }

    enum CodingKeys: String, CodingKey {
      case file, modality, bits, count, bytes, items
      case formatVersion = "format_version", openMilliseconds = "open_ms", verifyMilliseconds = "verify_ms"
      case modelFingerprint = "model_fingerprint", storedOutputs = "stored_outputs"
    }

    /// A file written before fingerprints says so with null, as before.
    func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(file, forKey: .file); try c.encode(modality, forKey: .modality); try c.encode(bits, forKey: .bits)
      try c.encode(count, forKey: .count); try c.encode(bytes, forKey: .bytes); try c.encode(formatVersion, forKey: .formatVersion)
      try c.encode(openMilliseconds, forKey: .openMilliseconds); try c.encode(verifyMilliseconds, forKey: .verifyMilliseconds)
      try c.encode(modelFingerprint, forKey: .modelFingerprint); try c.encode(storedOutputs, forKey: .storedOutputs)
      try c.encode(items, forKey: .items)
    }
  }

  /// What the index file `file` holds, with its first `show` items.
  public static func info(_ file: String, show: Int, console output: Console) throws {
    let started = Date()
    let index = try IndexFile(contentsOf: URL(fileURLWithPath: file))
    let openMilliseconds = Date().timeIntervalSince(started) * 1000
    let checked = try timedVerify(index)
    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let items = (0..<min(show, index.count)).map(index.item)
    if output.json {
      output.result(try JSON.text(Info(file: file, modality: index.modality.description, bits: index.bits, count: index.count, bytes: size,
                                       formatVersion: Int(index.version), openMilliseconds: openMilliseconds, verifyMilliseconds: checked * 1000,
                                       modelFingerprint: index.modelFingerprint.map(IndexFile.hex), storedOutputs: index.outputs != nil,
                                       items: items.map { Info.Item(id: $0.id, display: $0.display, labels: $0.labels) })))
      return
    }
    output.result("file       \(file)")
    output.result("modality   \(index.modality)")
    output.result("codes      \(index.count) × \(index.bits) bits (\(index.codes.wordsPerCode) word\(index.codes.wordsPerCode == 1 ? "" : "s") each)")
    output.result("size       \(size) bytes, format version \(index.version), opened in \(String(format: "%.2f", openMilliseconds)) ms")
    output.result("checksum   " + (index.version == 1 ? "none (format version 1)" : String(format: "CRC-32 matches, checked in %.2f ms", checked * 1000)))
    output.result("outputs    " + (index.outputs == nil ? "none (searches re-rank by the asymmetric score; encode again for stored outputs)"
                                                : "\(index.bits) int8 values an item (searches re-rank by them)"))
    output.result("model      \(index.modelFingerprint.map { "fingerprint \(IndexFile.hex($0))" } ?? "unknown (written before fingerprints)")")
    for (i, item) in items.enumerated() {
      let labels = item.labels.isEmpty ? "" : "  [\(item.labels.joined(separator: ", "))]"
      output.result(String(format: "%6d  ", i) + "\(item.id)  \(item.display)\(labels)")
    }
    if index.count > items.count { output.result("   …  \(index.count - items.count) more") }
  }

  /// Seconds the checksum took; throws when it does not match.
  static func timedVerify(_ index: IndexFile) throws -> Double {
    let started = Date()
    try index.verify()
    return Date().timeIntervalSince(started)
  }

  /// Checks every file; returns how many are damaged.
  public static func verify(_ files: [String], console output: Console) -> Int {
    var damaged = 0
    for file in files {
      let result = Result { () -> (IndexFile, Double) in
        let index = try IndexFile(contentsOf: URL(fileURLWithPath: file))
        return (index, try timedVerify(index))
      }
      switch result {
      case .success(let (index, seconds)):
        if output.json {
          output.result(JSONLine([("file", .string(file)), ("ok", .int(1)), ("count", .int(index.count)), ("bits", .int(index.bits)),
                          ("verify_ms", .number(seconds * 1000, places: 3))]).text)
        } else if !output.quiet {
          output.result("\(file): ok, \(index.count) × \(index.bits)-bit codes" + (index.version == 1 ? " (format version 1: no checksum)" : String(format: ", checked in %.2f ms", seconds * 1000)))
        }
      case .failure(let error):
        damaged += 1
        if output.json { output.result(JSONLine([("file", .string(file)), ("ok", .int(0)), ("problem", .string("\(error)"))]).text) }
        else { Console.standardError("\(error)") }
      }
    }
    return damaged
  }
}
