// DistillerEpochRow: a distillation epoch as a row of `cmh distill`'s table and as its JSON log line.

import Foundation
import Platform
import Training

extension Distiller.EpochReport: EpochRow {
  public static var tableHeader: String {
    "epoch    image KL   image q     text KL    text q   codes i/t    top-10 i/t    pairs/s   time"
  }

  public func tableRow(itemsPerSecond rate: Double) -> String {
    String(format: "%5d   %9.4f   %7.4f   %9.4f   %7.4f   %5d/%-5d   %5.3f/%-5.3f   %7.0f   %@", epoch, image.contextual, image.other,
           text.contextual, text.other, distinctImageCodes, distinctTextCodes, imageAgreement, textAgreement, rate, ProgressBar.clock(seconds))
  }

  public func fields(itemsPerSecond rate: Double) -> [(String, JSONLine.Value)] {
    let n = { (x: Double, places: Int) in JSONLine.Value.number(x, places: places) }
    return [("epoch", .int(epoch)), ("image_contextual", n(Double(image.contextual), 4)), ("image_other", n(Double(image.other), 4)),
            ("text_contextual", n(Double(text.contextual), 4)), ("text_other", n(Double(text.other), 4)),
            ("distinct_image_codes", .int(distinctImageCodes)), ("distinct_text_codes", .int(distinctTextCodes)),
            ("image_top10_agreement", n(imageAgreement, 4)), ("text_top10_agreement", n(textAgreement, 4)),
            ("pairs_per_second", n(rate, 1)), ("seconds", n(seconds, 2)),
            ("image_lr", .general(Double(imageLearningRate))), ("text_lr", .general(Double(textLearningRate)))]
  }

  public var notes: [String] { collapseNotes }
}
