// cmh corpus hdf5-read (hidden): a MATLAB v7.3 file's arrays to stdout, run as a child process by
// `cmh corpus import mat` so that a crash of libhdf5 on a damaged file ends the child, not the import.

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

  /// This command run in a child process of this binary.
  static let child = MatFileHDF5.Reader.child(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                                              arguments: ["corpus", "hdf5-read"])
}
