// DistillSession: a DistillationRun under a RunSession (`cmh distill`) — started, or resumed from
// its checkpoint, distilled with checkpoints as it goes, and the small model written.

import Corpus
import Foundation
import Model
import Platform
import Training

extension RunSession {
  /// Distils the small model `out` on `corpus`: from the session's checkpoint when `resume`
  /// (`epochs`, if given, is the new total), else a new run that `make` builds (with progress).
  public func distillModel(_ corpus: Corpus, out: URL, resume: Bool, epochs: Int?,
                           make: (_ progress: @escaping (String, Int, Int) -> Void) throws -> DistillationRun) throws {
    let run: DistillationRun
    if try begin(writing: out, resume: resume) {
      run = try prepare { try DistillationRun(corpus: corpus, resuming: checkpoint, epochs: epochs, progress: $0) }
      console.note("resuming at epoch \(run.loop.epoch + 1) of \(run.distiller.settings.epochs) from \(checkpoint.path)")
    } else {
      run = try prepare(make)
    }
    console.note(run.summary)
    _ = try self.run(run.loop, epochs: run.distiller.settings.epochs, save: { try run.saveCheckpoint(to: checkpoint) },
                     detail: { String(format: "KL %.3f", $0.contextual) })
    guard writesFiles else { return }
    try run.finishedModel().save(to: out)
    console.note("wrote \(out.path)")
  }
}
