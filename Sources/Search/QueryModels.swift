// QueryModels: which query model may search which gallery — a model searches its own codes, and a
// small model from `cmh distill` the codes of the gallery model it was distilled against.

import Hashing
import Model

public enum QueryModels {
  /// Throws unless `model` (at `path`) makes queries for the codes of the gallery model at
  /// `galleryPath`, whose fingerprint is `galleryPrint` and codes `bits` long.
  public static func check(_ model: CrossModalModel, path: String, gallery galleryPath: String, fingerprint galleryPrint: UInt64, bits: Int) throws {
    guard model.spec.bits == bits else {
      throw SearchError(.unsupported, "\(path) makes \(model.spec.bits)-bit codes, the gallery model \(galleryPath) \(bits)-bit codes")
    }
    if model.galleryFingerprint() == galleryPrint { return }
    guard let record = model.distillation else {
      throw SearchError(.unsupported, "\(path) is not a small query model (it was not made by `cmh distill`), and it is not \(galleryPath); "
                          + "evaluate it on its own codes without --gallery")
    }
    throw SearchError(.unsupported, "\(path) was distilled against \(record.galleryModel) (fingerprint \(record.galleryFingerprint)), "
                        + "not against \(galleryPath) (fingerprint \(IndexFile.hex(galleryPrint))); its codes do not search that model's gallery")
  }
}
