// PixelDenoiser: the noise predictor of the pixel diffusion generator, a small U-Net over S×S RGB
// images (S divisible by 4). The timestep's sinusoid and the multi-hot label set go through a
// two-layer MLP into an embedding e that every residual block adds to its channels.
//   in: 3×3 conv → C                                   (S)
//   down: block(C) ─ skip1 → 3×3/2 conv → 2C → block(2C) ─ skip2 → 3×3/2 conv   (S, S/2 → S/4)
//   middle: block(2C), block(2C)                       (S/4)
//   up: ×2, join skip2 → block(4C → 2C); ×2, join skip1 → block(3C → C)         (S/2, S)
//   out: GroupNorm, SiLU, 3×3 conv → 3 (zero at start, so the first predictions are ε̂ = 0)
// A block: h = conv(SiLU(GN(x))) + Linear(e) per channel; y = conv(SiLU(GN(h))) + x (a 1×1 conv
// on x when the widths differ); its second conv starts at zero, so each block starts as identity.

import Foundation
import Tensor

public struct PixelDenoiserShape: Codable, Equatable, Sendable {
  /// The images' side, divisible by 4.
  public var size = 32
  public var channels = 32
  public var labels: Int
  public var timeFeatures = 64
  public init(size: Int = 32, channels: Int = 32, labels: Int, timeFeatures: Int = 64) {
    (self.size, self.channels, self.labels, self.timeFeatures) = (size, channels, labels, timeFeatures)
  }
}

/// A residual block that adds the embedding to its channels; forward and backward take and give it.
final class EmbeddingBlock: Module {
  let norm1: GroupNorm, act1 = SiLU(), conv1: Conv2D, embed: Linear
  let norm2: GroupNorm, act2 = SiLU(), conv2: Conv2D, shortcut: Conv2D?
  var isTraining = true

  init(_ inputs: Int, _ outputs: Int, embedding: Int, generator g: inout RandomGenerator) {
    norm1 = GroupNorm(groups: PixelDenoiser.groups(inputs), channels: inputs)
    conv1 = Conv2D(inputs, outputs, kernelSize: 3, padding: 1, bias: true, generator: &g)
    embed = Linear(embedding, outputs, generator: &g)
    norm2 = GroupNorm(groups: PixelDenoiser.groups(outputs), channels: outputs)
    conv2 = Conv2D(outputs, outputs, kernelSize: 3, padding: 1, bias: true, generator: &g)
    conv2.weight.value.zero()
    shortcut = inputs == outputs ? nil : Conv2D(inputs, outputs, kernelSize: 1, bias: true, generator: &g)
  }

  var children: [(String, Module)] {
    [("norm1", norm1), ("conv1", conv1), ("embed", embed), ("norm2", norm2), ("conv2", conv2)] + (shortcut.map { [("shortcut", $0)] } ?? [])
  }

  func forward(_ x: Tensor, embedding e: Tensor) -> Tensor {
    let h = conv1.forward(act1.forward(norm1.forward(x)))
    h.addPerChannel(embed.forward(e))
    let y = conv2.forward(act2.forward(norm2.forward(h)))
    y.add(shortcut?.forward(x) ?? x)
    return y
  }

  /// (dL/dx, dL/de).
  func backpropagate(_ dy: Tensor) -> (Tensor, Tensor) {
    let dh = norm2.backward(act2.backward(conv2.backward(dy)))
    let de = embed.backward(dh.channelSums())
    let dx = norm1.backward(act1.backward(conv1.backward(dh)))
    dx.add(shortcut?.backward(dy) ?? dy)
    return (dx, de)
  }

  func forward(_ x: Tensor) -> Tensor { preconditionFailure("EmbeddingBlock: call forward(_:embedding:)") }
  func backward(_ dy: Tensor) -> Tensor { preconditionFailure("EmbeddingBlock: call backpropagate") }
}

public final class PixelDenoiser: NoisePredictor {
  public let shape: PixelDenoiserShape
  let embedIn: Linear, embedAct = SiLU(), embedOut: Linear, embedAct2 = SiLU()
  let input: Conv2D, down1: EmbeddingBlock, reduce1: Conv2D, down2: EmbeddingBlock, reduce2: Conv2D
  let middle1: EmbeddingBlock, middle2: EmbeddingBlock
  let expand2 = Upsample(), up2: EmbeddingBlock, expand1 = Upsample(), up1: EmbeddingBlock
  let outNorm: GroupNorm, outAct = SiLU(), output: Conv2D
  public var isTraining = true

  /// Groups of GroupNorm for a width: 8 where it divides, else the largest divisor below.
  static func groups(_ channels: Int) -> Int { (1...min(8, channels)).last { channels % $0 == 0 }! }

  public init(_ s: PixelDenoiserShape, generator g: inout RandomGenerator) {
    precondition(s.size % 4 == 0 && s.size >= 4 && s.channels >= 1, "PixelDenoiser: size \(s.size) (a multiple of 4), \(s.channels) channels")
    shape = s
    let c = s.channels, e = 4 * c
    embedIn = Linear(s.timeFeatures + s.labels, e, generator: &g)
    embedOut = Linear(e, e, generator: &g)
    input = Conv2D(3, c, kernelSize: 3, padding: 1, bias: true, generator: &g)
    input.computesInputGradient = false
    down1 = EmbeddingBlock(c, c, embedding: e, generator: &g)
    reduce1 = Conv2D(c, 2 * c, kernelSize: 3, stride: 2, padding: 1, bias: true, generator: &g)
    down2 = EmbeddingBlock(2 * c, 2 * c, embedding: e, generator: &g)
    reduce2 = Conv2D(2 * c, 2 * c, kernelSize: 3, stride: 2, padding: 1, bias: true, generator: &g)
    middle1 = EmbeddingBlock(2 * c, 2 * c, embedding: e, generator: &g)
    middle2 = EmbeddingBlock(2 * c, 2 * c, embedding: e, generator: &g)
    up2 = EmbeddingBlock(4 * c, 2 * c, embedding: e, generator: &g)
    up1 = EmbeddingBlock(3 * c, c, embedding: e, generator: &g)
    outNorm = GroupNorm(groups: Self.groups(c), channels: c)
    output = Conv2D(c, 3, kernelSize: 3, padding: 1, bias: true, generator: &g)
    output.weight.value.zero()
  }

  public var dimensions: Int { 3 * shape.size * shape.size }

  public var children: [(String, Module)] {
    [("embed_in", embedIn), ("embed_out", embedOut), ("input", input), ("down1", down1), ("reduce1", reduce1), ("down2", down2),
     ("reduce2", reduce2), ("middle1", middle1), ("middle2", middle2), ("up2", up2), ("up1", up1), ("out_norm", outNorm), ("output", output)]
  }

  /// Rows [m, 3·S·S] (each an image in CHW order) in, predicted noise rows out.
  public func predict(_ x: Tensor, timesteps: [Int], labels: Tensor, totalSteps: Int) -> Tensor {
    let m = x.shape[0], s = shape.size
    let condition = Tensor(zeros: [m, shape.timeFeatures + shape.labels])
    let time = TimeEmbedding.sinusoid(timesteps, features: shape.timeFeatures, totalSteps: totalSteps)
    for r in 0..<m {
      (condition.data + r * condition.shape[1]).update(from: time.data + r * shape.timeFeatures, count: shape.timeFeatures)
      (condition.data + r * condition.shape[1] + shape.timeFeatures).update(from: labels.data + r * shape.labels, count: shape.labels)
    }
    let e = embedAct2.forward(embedOut.forward(embedAct.forward(embedIn.forward(condition))))
    let skip1 = down1.forward(input.forward(x.reshaped([m, 3, s, s])), embedding: e)
    let skip2 = down2.forward(reduce1.forward(skip1), embedding: e)
    var h = middle2.forward(middle1.forward(reduce2.forward(skip2), embedding: e), embedding: e)
    h = up2.forward(.joiningChannels(expand2.forward(h), skip2), embedding: e)
    h = up1.forward(.joiningChannels(expand1.forward(h), skip1), embedding: e)
    return output.forward(outAct.forward(outNorm.forward(h))).reshaped([m, dimensions])
  }

  public func backpropagate(_ gradient: Tensor) {
    let m = gradient.shape[0], s = shape.size, c = shape.channels
    let top = outNorm.backward(outAct.backward(output.backward(gradient.reshaped([m, 3, s, s]))))
    var (joined, de) = up1.backpropagate(top)
    let (upper1, ds1) = joined.splittingChannels(at: 2 * c)
    var d: Tensor
    (joined, d) = up2.backpropagate(expand1.backward(upper1))
    de.add(d)
    let (upper2, ds2) = joined.splittingChannels(at: 2 * c)
    var h = expand2.backward(upper2)
    for block in [middle2, middle1] {
      (h, d) = block.backpropagate(h)
      de.add(d)
    }
    h = reduce2.backward(h)
    h.add(ds2)
    (h, d) = down2.backpropagate(h)
    de.add(d)
    h = reduce1.backward(h)
    h.add(ds1)
    (h, d) = down1.backpropagate(h)
    de.add(d)
    _ = input.backward(h)
    _ = embedIn.backward(embedAct.backward(embedOut.backward(embedAct2.backward(de))))
  }

  public func forward(_ x: Tensor) -> Tensor { preconditionFailure("PixelDenoiser: call predict") }
  public func backward(_ dy: Tensor) -> Tensor { preconditionFailure("PixelDenoiser: call backpropagate") }
}
