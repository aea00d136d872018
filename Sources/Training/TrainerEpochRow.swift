// TrainerEpochRow: a training epoch as a row of `cmh train`'s table and as its JSON log line.

import Foundation
import Platform

extension Trainer.EpochReport: EpochRow {
  public static var tableHeader: String {
    "epoch   image sim   image q    text sim    text q   B flips   codes i/t     pairs/s   time"
  }

  public func tableRow(itemsPerSecond rate: Double) -> String {
    if labelEpoch {
      return String(format: "%5d   labels %9.4f   (the image tower learns the labels)         %7.0f   %@", epoch, image.labels, rate, ProgressBar.clock(seconds))
    }
    return String(format: "%5d   %9.2f   %7.3f   %9.2f   %7.3f   %7d   %5d/%-5d   %7.0f   %@", epoch, image.similarity, image.quantization,
           text.similarity, text.quantization, codeChanges, distinctImageCodes, distinctTextCodes, rate, ProgressBar.clock(seconds))
  }

  public func fields(itemsPerSecond rate: Double) -> [(String, JSONLine.Value)] {
    let n = { (x: Double, places: Int) in JSONLine.Value.number(x, places: places) }, g = { (x: Float) in JSONLine.Value.general(Double(x)) }
    if labelEpoch {
      return [("epoch", .int(epoch)), ("epoch_kind", .string("labels")), ("image_labels", n(Double(image.labels), 4)),
              ("pairs_per_second", n(rate, 1)), ("seconds", n(seconds, 2)), ("image_lr", g(imageLearningRate))]
        + Self.fields(traffic)
    }
    return [("epoch", .int(epoch)), ("image_similarity", n(Double(image.similarity), 4)), ("image_quantization", n(Double(image.quantization), 4)),
            ("text_similarity", n(Double(text.similarity), 4)), ("text_quantization", n(Double(text.quantization), 4)), ("code_changes", .int(codeChanges)),
            ("distinct_image_codes", .int(distinctImageCodes)), ("distinct_text_codes", .int(distinctTextCodes)),
            ("pairs_per_second", n(rate, 1)), ("seconds", n(seconds, 2)), ("image_lr", g(imageLearningRate)), ("text_lr", g(textLearningRate))]
      + Self.fields(traffic)
  }

  /// The ranks' exchanges of an epoch: its batches', and making split layers whole where any are.
  static func fields(_ traffic: DataParallel.Traffic?) -> [(String, JSONLine.Value)] {
    guard let t = traffic else { return [] }
    let n = { (x: Double, places: Int) in JSONLine.Value.number(x, places: places) }
    return [("ranks_seconds", n(t.seconds, 2)), ("ranks_megabytes", n(t.megabytes, 1))]
      + (t.settleMegabytes > 0 ? [("ranks_settle_seconds", n(t.settleSeconds, 2)), ("ranks_settle_megabytes", n(t.settleMegabytes, 1))] : [])
  }

  public var notes: [String] { collapseNotes }
}
