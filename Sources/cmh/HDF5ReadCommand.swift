// cmh corpus hdf5-read (hidden): reads a MATLAB v7.3 file's arrays through libhdf5 and writes them
// to stdout (MatArrayTransfer). `cmh corpus import mat` runs it as a child process, so that a
// damaged file that crashes libhdf5 ends the child, and the import reports it.

import ArgumentParser
import Corpus
import Foundation

struct HDF5ReadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hdf5-read", abstract: "Read a MATLAB v7.3 file for `cmh corpus import mat` (internal).", shouldDisplay: false)

  @Argument(help: "The .mat file.") var file: String

  func run() throws {
    let arrays = try MatFileHDF5.read(URL(fileURLWithPath: file))
    FileHandle.standardOutput.write(MatArrayTransfer.encode(arrays.keys.sorted().map { arrays[$0]! }))
  }

  /// Reads `url` by running this command in a child process of this binary.
  static func isolated(_ url: URL) throws -> [String: MatArray] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["corpus", "hdf5-read", url.path]
    let (data, errors) = try ChildProcess.run(process)
    if process.terminationReason == .uncaughtSignal {
      throw CorpusError(url.path, "libhdf5 crashed reading it (signal \(process.terminationStatus)): the file is damaged")
    }
    guard process.terminationStatus == 0 else {
      let message = String(decoding: errors, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "the HDF5 reader failed"
      throw CorpusError(url.path, message.replacingOccurrences(of: "Error: ", with: "").replacingOccurrences(of: "\(url.path): ", with: ""))
    }
    return try MatArrayTransfer.decode(data, path: url.path)
  }
}
