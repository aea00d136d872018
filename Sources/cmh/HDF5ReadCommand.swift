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


  /// This command run in a child process of this binary.
  static let child = MatFileHDF5.Reader.child(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
                                              arguments: ["corpus", "hdf5-read"])
}
