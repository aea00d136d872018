// cmh info: the processor, its vector units, the BLAS library and kernel, threads and build target.

import ArgumentParser
import Foundation
import Platform

struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the processor, BLAS library and kernel, threads and build target.",
    discussion: """
      cmh checks at start which kernel OpenBLAS chose; when it is below what the processor offers
      (a processor this OpenBLAS does not know gets its generic kernel), cmh starts again once with
      the best kernel the library has. OPENBLAS_CORETYPE set by you always wins.

      Example: cmh info --json
      """)

  @OptionGroup var output: OutputOptions

  func run() throws {
    let info = MachineInfo.current()
    if output.json { print(try MachineReport.json(info)); return }
    MachineReport.table(info).forEach { print($0) }
  }
}
