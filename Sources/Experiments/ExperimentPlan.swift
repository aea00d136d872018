// ExperimentPlan: the runs of a paper-style table — every (corpus, bits, loss) — where each model
// lives in the output folder, the standard protocol splits for a corpus that has none, and the
// record each finished run leaves in DIR/runs.jsonl.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import Training

public struct ExperimentRun: Sendable, Equatable {
  /// The corpus's short name (its folder's), unique within the plan.
  public var corpus: String
  public var bits: Int
  public var loss: LossKind

  public init(corpus: String, bits: Int, loss: LossKind) {
    self.corpus = corpus; self.bits = bits; self.loss = loss
  }

  /// The model file's name in the output folder.
  public var modelName: String { "\(corpus)-\(loss.rawValue)-\(bits).cmh" }
}

public enum ExperimentPlan {
  /// Every run, corpus by corpus, loss by loss, bits in the order given.
  public static func runs(corpora: [String], bits: [Int], losses: [LossKind]) -> [ExperimentRun] {
    corpora.flatMap { c in losses.flatMap { loss in bits.map { ExperimentRun(corpus: c, bits: $0, loss: loss) } } }
  }

  /// Short names for corpus folders: each folder's name, numbered when two share one.
  public static func names(_ paths: [String]) -> [String] {
    let bases = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
    return bases.enumerated().map { i, base in bases.filter { $0 == base }.count > 1 ? "\(base)-\(i + 1)" : base }
  }

  /// The corpus with its own splits, or — when it has none — the standard protocol's (DESIGN.md:
  /// 2,000 queries and 10,000 training pairs, scaled down for small corpora; seed 1), with a note
  /// saying so. The corpus folder is not changed: the same seed makes the same splits every time.
  public static func withSplits(_ corpus: Corpus) throws -> (Corpus, note: String?) {
    if corpus.splits != nil { return (corpus, nil) }
    var split = corpus
    try split.splitByProtocol(seed: 1)
    return (split, "\(corpus.directory.path) has no splits: using the standard protocol's, \(split.splits!.query.count) queries and "
                   + "\(split.splits!.train.count) training pairs of the retrieval set (seed 1)")
  }
}

/// What DIR/runs.jsonl keeps of a finished run, so that a table can be traced to how it was made.
public struct ExperimentRecord: Codable, Sendable {
  public var corpus: String, corpusPath: String, bits: Int, loss: String, model: String
  public var settings: TrainingSettings
  public var towers: String
  public var seconds: Double, pairsPerSecond: Double, epochs: Int
  public var processor: String, blasKernel: String, threads: Int
  public var finished: String

  public init(run: ExperimentRun, corpusPath: String, model: String, spec: ModelSpec, settings: TrainingSettings, seconds: Double, pairs: Int,
              epochs: Int, machine: MachineInfo, finished: Date) {
    corpus = run.corpus; self.corpusPath = corpusPath; bits = run.bits; loss = run.loss.rawValue; self.model = model
    self.settings = settings
    towers = TrainingDefaults.summary(spec, settings)
    self.seconds = (seconds * 10).rounded() / 10
    pairsPerSecond = seconds > 0 ? (Double(pairs * epochs) / seconds).rounded() : 0
    self.epochs = epochs
    processor = machine.processor; blasKernel = machine.kernel; threads = machine.threads
    self.finished = ISO8601DateFormatter().string(from: finished)
  }

  enum CodingKeys: String, CodingKey {
    case corpus, bits, loss, model, settings, towers, seconds, epochs, processor, threads, finished
    case corpusPath = "corpus_path", pairsPerSecond = "pairs_per_second", blasKernel = "blas_kernel"
  }
}
