// Augmentation: synthetic training pairs for the rare label sets of a corpus's training split
// (`cmh augment`), in the model's input space, written as an augmentation folder for `cmh train
// --augment`: images rendered by the pixel diffusion generator (or feature rows by the row
// generator, for corpora of feature rows), copies of real pairs (oversampling), or images made
// elsewhere and listed in a manifest. The folder is a corpus of its own (corpus.json, pairs.jsonl,
// images/ or features/) with augmentation.json (how it was made), synthetic.jsonl (each pair's
// labels by name, text and where the text came from) and, for generated images, contact-sheet.html.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import Training

public enum AugmentMethod: String, Codable, CaseIterable, Sendable {
  case diffusion, oversample
}

public struct Augmentation {
  public var method = AugmentMethod.diffusion
  /// A JSON-lines manifest of pairs generated elsewhere, imported instead of generating.
  public var manifest: String?
  /// At most this many synthetic pairs (nil: as many as the real training pairs).
  public var maxSynthetic: Int?
  /// The pixel generator (image corpora); its diffusion settings also drive the row generator.
  public var generator = PixelGeneratorSettings()
  /// What the generator's training does with the checkpoint beside the folder (OUT.generator.ckpt):
  /// continue from it, or, when it finished there, render with it without training again.
  public var resume = GeneratorCheckpoint.Resume.no

  public init(method: AugmentMethod = .diffusion, manifest: String? = nil, maxSynthetic: Int? = nil, resume: GeneratorCheckpoint.Resume = .no) {
    (self.method, self.manifest, self.maxSynthetic, self.resume) = (method, manifest, maxSynthetic, resume)
  }

  /// Writes the augmentation folder `out` for the training split of `corpus`; returns its summary.
  /// The generator's training saves itself to OUT.generator.ckpt (every minute, on Ctrl-C and when
  /// it finishes), which stays: with `resume`, another plan or guidance renders from the trained
  /// generator, and more iterations train on from it. `progress(stage, done, total)` hears
  /// decoding, the generator's training and its sampling.
  public func run(_ corpus: Corpus, out: URL, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> AugmentationSummary {
    let train = try corpus.requireSplits().train, labels = train.map { corpus.pairs[$0].labels }
    guard !train.isEmpty else { throw CorpusError(corpus.directory.appendingPathComponent("splits/train.txt").path, "no training pairs to balance") }
    let started = Date()
    var summary: AugmentationSummary!
    let saved = Self.checkpoint(for: out)
    StopFlag.shared.install()
    defer { StopFlag.shared.uninstall() }
    try AtomicFolder.replace(out, keepingOthers: false) { staging in
      let (pairs, plan): (InputPairs, BalancePlan?)
      if let manifest {
        pairs = try imported(manifest, for: corpus)
        plan = nil
      } else {
        let made = BalancePlanner.plan(labels, labelCount: corpus.info.labels.count, limit: maxSynthetic ?? train.count, seed: generator.diffusion.seed)
        pairs = try synthesize(corpus, plan: made, into: staging, checkpoint: GeneratorCheckpoint(url: saved, resume: resume), progress: progress)
        plan = made
      }
      summary = AugmentationSummary(method: manifest == nil ? method.rawValue : "imported", corpus: corpus.directory.path, labels: corpus.info.labels,
                                    real: labels, synthetic: pairs.pairs.map(\.labels))
      summary.target = plan?.target
      summary.generator = manifest == nil && method == .diffusion ? generator : nil
      summary.manifest = manifest.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
      summary.seconds = Date().timeIntervalSince(started)
      try AugmentationFolder.write(pairs, summary: summary, corpus: corpus, to: staging)
    }
    return summary
  }

  /// Where the generator's training of the folder `out` saves itself.
  public static func checkpoint(for out: URL) -> URL {
    URL(fileURLWithPath: out.standardizedFileURL.path + ".generator.ckpt")
  }

  /// The plan's pairs: rendered by the generator, or copies of real pairs with each planned set.
  private func synthesize(_ corpus: Corpus, plan: BalancePlan, into folder: URL, checkpoint: GeneratorCheckpoint,
                          progress: (String, Int, Int) -> Void) throws -> InputPairs {
    let train = corpus.splits!.train
    guard !plan.labelSets.isEmpty else { return InputPairs(pairs: []) }  // balanced already (or --max-synthetic 0)
    switch method {
    case .oversample:
      return InputPairs.copies(of: plan.copies(from: train.map { corpus.pairs[$0].labels }, seed: generator.diffusion.seed).map { train[$0] },
                               in: corpus, prefix: "oversample")
    case .diffusion:
      if corpus.pairs[train[0]].image != nil {
        return try PixelAugmentation.generate(corpus, plan: plan, settings: generator, into: folder, checkpoint: checkpoint, progress: progress)
      }
      return try FeatureRowAugmentation.generate(corpus, plan: plan, settings: generator.diffusion, into: folder, checkpoint: checkpoint, progress: progress)
    }
  }

  /// The manifest's pairs (images generated elsewhere), their labels renamed to the corpus's.
  private func imported(_ path: String, for corpus: Corpus) throws -> InputPairs {
    let url = URL(fileURLWithPath: path)
    let (list, _) = try FolderImporter.importManifest(url, synthetic: true, into: url.deletingLastPathComponent())
    guard !list.pairs.isEmpty else { throw CorpusError(path, "no pairs: one JSON line per generated image, {\"image\", \"text\", \"labels\": [names]}") }
    guard corpus.imageFeatures == nil else {
      throw CorpusError(path, "\(corpus.directory.path) holds feature rows, and a manifest brings images; generate its rows with --method diffusion")
    }
    let index = Dictionary(uniqueKeysWithValues: corpus.info.labels.enumerated().map { ($1, $0) })
    let pairs = try list.pairs.enumerated().map { n, pair in
      guard let image = pair.image, FileManager.default.fileExists(atPath: image) else {
        throw CorpusError(path, line: n + 1, "the image \(pair.image ?? "") is not there")
      }
      let set = try pair.labels.map { l in
        guard let i = index[list.info.labels[l]] else {
          throw CorpusError(path, line: n + 1, "the label \"\(list.info.labels[l])\" is not one of \(corpus.directory.path)'s (\(corpus.info.labels.joined(separator: ", ")))")
        }
        return i
      }
      return Pair(id: String(format: "imported-%06d", n), image: image, text: pair.text, labels: set.sorted(), synthetic: true)
    }
    return InputPairs(pairs: pairs, sources: pairs.indices.map { "manifest line \($0 + 1)" })
  }
}
