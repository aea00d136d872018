// CrossModalModel: the image tower and the text tower of one Hamming space, and the model file
// that holds them (magic "CMHMODEL", a JSON header with the spec and the training record, then
// the named tensors `image.*` and `text.*`).

import Corpus
import Foundation
import ImageNet
import Platform
import Tensor
import TextNet

public final class CrossModalModel: Module {
  public let spec: ModelSpec
  public let image: Module
  public let text: TextTower
  /// How the model was trained (settings, corpus, augmentation), kept in the model file.
  public var record: TrainingRecord?
  /// For a small query model (`cmh distill`): the gallery model whose indexes it searches.
  public var distillation: DistillationRecord?
  public var isTraining = true

  public static let magic = "CMHMODEL"

  public init(spec: ModelSpec, generator g: inout RandomGenerator) {
    self.spec = spec
    switch spec.architecture {
    case .resnet34:
      image = ResNet.resnet34(bits: spec.bits, hidden: spec.imageHidden.first, width: spec.width, generator: &g)
    case .compact10:
      image = Compact10.network(bits: spec.bits, width: spec.width, hidden: spec.imageHidden.first ?? 4096, stemStride: spec.stemStride ?? 4, generator: &g)
    case .mlp:
      precondition(spec.imageFeatures != nil, "CrossModalModel: the mlp image tower needs the feature size")
      image = FeatureMLP.network(inputSize: spec.imageFeatures!, bits: spec.bits, hidden: spec.imageHidden, generator: &g)
    }
    text = TextTower(inputSize: spec.text.columns, bits: spec.bits, hidden: spec.textHidden, generator: &g)
  }

  public var children: [(String, Module)] { [("image", image), ("text", text)] }
  public func forward(_ x: Tensor) -> Tensor { preconditionFailure("CrossModalModel: call image or text") }
  public func backward(_ dy: Tensor) -> Tensor { preconditionFailure("CrossModalModel: call image or text") }

  // MARK: Model file

  private struct Header: Codable {
    var kind = "cmh-model"
    var spec: ModelSpec
    var training: TrainingRecord?
    var distillation: DistillationRecord?
  }

  /// Writes the model file atomically.
  public func save(to url: URL) throws {
    let encoder = JSON.encoder()
    let tensors = namedParameters().map { ($0.0, $0.1.value) } + namedBuffers().map { ($0.0, $0.1.value) }
    try TensorArchive(metadata: encoder.encode(Header(spec: spec, training: record, distillation: distillation)), tensors: tensors).write(to: url, magic: Self.magic)
  }

  /// Reads a model file: the header rebuilds the towers, then every tensor must be there with its
  /// shape. A model opened only to encode or search is `fixed` (`Module.fixWeights`): its layers
  /// keep their weights prepared between passes, and it must not be trained.
  public static func load(from url: URL, fixed: Bool = false) throws -> CrossModalModel {
    let archive = try TensorArchive.read(from: url, magic: magic, what: "model file")
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: archive.metadata) } catch {
      throw FileError(path: url.path, problem: "the model header is not valid: \(error)")
    }
    if let stride = header.spec.stemStride, ![1, 2, 4].contains(stride) {
      throw FileError(path: url.path, problem: "the model header's stem_stride is \(stride), expected 1, 2 or 4")
    }
    if let views = header.spec.imageViews, !ModelSpec.supportedViews.contains(views) {
      throw FileError(path: url.path, problem: "the model header's image_views is \(views), expected 1, 2 or 8")
    }
    var g = RandomGenerator(seed: 0)
    let model = CrossModalModel(spec: header.spec, generator: &g)
    model.record = header.training
    model.distillation = header.distillation
    let stored = Dictionary(archive.tensors, uniquingKeysWith: { a, _ in a })
    let targets = model.namedParameters().map { ($0.0, $0.1.value) } + model.namedBuffers().map { ($0.0, $0.1.value) }
    for (name, target) in targets {
      guard let t = stored[name] else { throw FileError(path: url.path, problem: "tensor \(name) is missing") }
      guard t.shape == target.shape else { throw FileError(path: url.path, problem: "tensor \(name) has shape \(t.shape), the header's model expects \(target.shape)") }
      target.assign(t)
    }
    model.setTraining(false)
    if fixed { model.fixWeights() }
    return model
  }
}
