// ValidationReport: `cmh corpus validate` — every problem a run would trip on, each with its file
// and line, as text or one JSON object.

import Foundation
import Platform

extension Corpus {
  /// Validates the corpus at `path` (decoding every image unless `checkImages` is false), shows
  /// the problems and returns how many there are.
  public static func validationReport(_ path: String, checkImages: Bool, console output: Console) throws -> Int {
    let loaded = try Corpus.load(URL(fileURLWithPath: path), checked: false)
    let bar = output.progress(total: loaded.pairs.count, label: "checking images")
    let problems = loaded.validate(checkImages: checkImages) { done, _ in bar.update(done) }
    bar.finish()
    if output.json {
      output.result(JSONLine([("corpus", .string(path)), ("pairs", .int(loaded.pairs.count)), ("labels", .int(loaded.info.labels.count)),
                              ("problems", .strings(problems.map { $0.description }))]).text)
    } else {
      for p in problems.prefix(200) { output.result("\(p)") }
      if problems.count > 200 { output.result("… and \(problems.count - 200) more") }
      if problems.isEmpty { output.result("\(path): \(loaded.pairs.count) pairs, \(loaded.info.labels.count) labels, no problems") }
    }
    return problems.count
  }
}
