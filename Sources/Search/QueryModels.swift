// QueryModels: which query model may search which gallery — a model searches its own codes, and a
// small model from `cmh distill` the codes of the gallery model it was distilled against.

import Hashing
import Training

public enum QueryModels {
  /// Throws unless `model` (at `path`) makes queries for the codes of `gallery` (at `galleryPath`).
  public static func check(_ model: CrossModalModel, path: String, against gallery: CrossModalModel, galleryPath: String) throws {
    let galleryPrint = gallery.fingerprint()
    guard model.spec.bits == gallery.spec.bits else {
      throw SearchError(.unsupported, "\(path) makes \(model.spec.bits)-bit codes, the gallery model \(galleryPath) \(gallery.spec.bits)-bit codes")
    }
    if model.fingerprint() == galleryPrint { return }
    guard let record = model.distillation else {
      throw SearchError(.unsupported, "\(path) is not a small query model (it was not made by `cmh distill`), and it is not \(galleryPath); "
                          + "evaluate it on its own codes without --gallery")
    }
    guard record.fingerprint == galleryPrint else {
      throw SearchError(.unsupported, "\(path) was distilled against \(record.galleryModel) (fingerprint \(record.galleryFingerprint)), "
                          + "not against \(galleryPath) (fingerprint \(IndexFile.hex(galleryPrint))); its codes do not search that model's gallery")
    }
  }
}
