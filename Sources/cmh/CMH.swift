// cmh: the command-line tool; one subcommand per job.

import ArgumentParser
import Foundation
import Hashing
import Platform
import Search

@main
struct CMH: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "cmh",
    abstract: "Deep cross-modal hashing: image and text towers trained into one Hamming space.",
    version: version,
    subcommands: [DemoCommand.self, InfoCommand.self, CorpusCommand.self, TrainCommand.self, DistillCommand.self, AugmentCommand.self, EncodeCommand.self, SearchCommand.self, ServeCommand.self, EvalCommand.self, IndexCommand.self, ExperimentCommand.self, BenchCommand.self])

  /// Runs the BLAS kernel check (which may restart the process once) before anything multiplies;
  /// a mistyped command gets "did you mean" and the usage exit code. Under mpirun only the
  /// commands that share their work among the ranks run, and an error on a rank ends the job.
  static func main() {
    if let problem = CommandSuggestion.problem(Array(CommandLine.arguments.dropFirst()), root: CMH.self) { fail(problem, ExitCode.validationFailure.rawValue) }
    BLASKernel.checkAtStart()
    Console.lineBuffered()  // results reach a pipe (`| tee log`) as they are printed
    do { try MPI.join() } catch { fail("\(error)", 1) }
    guard let world = MPI.world else { return main(nil) }
    do {
      var command = try parseAsRoot(nil)
      guard [TrainCommand.self, DistillCommand.self, EncodeCommand.self, EvalCommand.self, InfoCommand.self].contains(where: { $0 == type(of: command) }) else {
        throw ValidationError("`cmh \(type(of: command).configuration.commandName ?? "")` does not share its work among mpirun's ranks; run it without mpirun (train, distill, encode and eval do)")
      }
      try command.run()
      world.end(status: 0, message: "")
    } catch { world.end(status: exitCode(for: error).rawValue, message: fullMessage(for: error)) }
  }

  static func fail(_ message: String, _ status: Int32) -> Never {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    Foundation.exit(status)
  }
}

/// Options that every long-running command shares.
struct OutputOptions: ParsableArguments {
  @Flag(name: .long, help: "Print one JSON object per line instead of a table.") var json = false
  @Flag(name: .long, help: "No progress output.") var quiet = false

  var console: Console { Console(json: json, quiet: quiet) }
}

/// `--precision` of the commands that run the towers: chosen once, before any tower runs.
struct PrecisionOption: ParsableArguments {
  @Option(help: "Convolutions and dense layers in fp32 or bf16 (oneDNN); auto: bf16 where the processor has bf16 units. (default: CMH_PRECISION, else auto)")
  var precision: PrecisionRequest?

  func validate() throws { try Precision.configure(precision) }
}

extension PrecisionRequest: ExpressibleByArgument {}

/// The depth and radius of the retrieval measures, shared by `eval` and `index eval`.
struct RankingOptions: ParsableArguments {
  @Option(name: [.short, .long], parsing: .unconditional, help: "Depth k of the @k measures (precision@k, NDCG@k; MAP@k in index eval).") var k = 100
  @Option(parsing: .unconditional, help: "Hamming radius of the precision and MAP within radius.") var radius = 2

  func validate() throws {
    guard k >= 1, radius >= 0 else { throw ValidationError("--k must be at least 1 and --radius not negative") }
  }
}

/// How results are ordered after the Hamming scan, shared by `search`, `eval` and `index eval`.
struct RerankOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Re-ranking of the nearest codes: \(RerankMethod.allCases.map(\.rawValue).joined(separator: ", ")); `cmh eval` also takes all (one column each). (default: \(Ranking.defaultMethod))",
                             valueName: "method"))
  var rerank: String?
  @Option(parsing: .unconditional, help: "Nearest codes handed to the re-ranking.") var candidates = RerankSettings().candidates
  @Option(parsing: .unconditional, help: "Hand the re-ranking every code within this Hamming radius instead of the nearest --candidates (a search then shows nothing farther).")
  var within: Int?

  func validate() throws {
    guard candidates >= 1 else { throw ValidationError("--candidates must be at least 1") }
    guard (within ?? 0) >= 0 else { throw ValidationError("--within must not be negative") }
    if Ranking.named(rerank, settings: RerankSettings(), allowingAll: true) == nil {
      throw ValidationError("--rerank \(rerank ?? ""): expected one of \(RerankMethod.allCases.map(\.rawValue).joined(separator: ", ")), or all (eval)")
    }
  }

  /// The rankings asked for: the default, one by name, or every method for `all` (where allowed).
  func rankings(allowingAll allowed: Bool) throws -> [Ranking] {
    guard let rankings = Ranking.named(rerank, settings: RerankSettings(candidates: candidates, radius: within), allowingAll: allowed) else {
      throw ValidationError("--rerank all: a search uses one re-ranking; `cmh eval --rerank all` compares them")
    }
    return rankings
  }
}

/// The one parser of comma-separated option values ("16,32,64"): every item must parse, or the
/// option's error says what it takes.
enum CommaList {
  static func parse<T>(_ text: String, _ expected: String, count: ClosedRange<Int> = 1...Int.max, _ item: (String) -> T?) throws -> [T] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { item($0.trimmingCharacters(in: .whitespaces)) }
    guard count.contains(items.count), items.allSatisfy({ $0 != nil }) else { throw ValidationError("\(expected), got \"\(text)\"") }
    return items.map { $0! }
  }
}

/// A problem with the user's data or files: printed as "Error: …" without the usage text.
struct CommandError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
