// ResNet: torchvision's ResNet-34 body (7×7/2 stem, BatchNorm, ReLU, 3×3/2 max pool, BasicBlock
// stages [3, 4, 6, 3] with 1×1 downsampling, global average pool) and a hash head. Parameter
// names are torchvision's (`layer2.0.downsample.0.weight`), so its weights load by name.
// Shapes: input [N, 3, H, W] (H, W ≥ 32), body output [N, 512·w/64], head output [N, K] in (−1, 1).

import Tensor

public enum ResNet {
  /// A BasicBlock: conv3×3 · BN · ReLU · conv3×3 · BN, plus the input (1×1 conv · BN when the
  /// shape changes), then ReLU.
  static func basicBlock(_ inChannels: Int, _ outChannels: Int, stride: Int, generator g: inout RandomGenerator) -> Residual {
    let shortcut: (String, Module)? = stride != 1 || inChannels != outChannels
      ? ("downsample", Sequential(Conv2D(inChannels, outChannels, kernelSize: 1, stride: stride, generator: &g), BatchNorm(outChannels)))
      : nil
    return Residual(
      body: [
        ("conv1", Conv2D(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, generator: &g)), ("bn1", BatchNorm(outChannels)),
        ("relu", ReLU()),
        ("conv2", Conv2D(outChannels, outChannels, kernelSize: 3, padding: 1, generator: &g)), ("bn2", BatchNorm(outChannels)),
      ],
      shortcut: shortcut, after: ReLU())
  }

  /// The ResNet-34 body up to global average pooling. `width` is the first stage's channels
  /// (64 in torchvision; smaller for tests).
  public static func body34(width: Int = 64, generator g: inout RandomGenerator) -> [(String, Module)] {
    let stem = Conv2D(3, width, kernelSize: 7, stride: 2, padding: 3, generator: &g)
    stem.computesInputGradient = false  // the images need no gradient
    var layers: [(String, Module)] = [("conv1", stem), ("bn1", BatchNorm(width)), ("relu", ReLU()),
                                      ("maxpool", MaxPool2d(kernelSize: 3, stride: 2, padding: 1))]
    var channels = width
    for (stage, (blocks, multiplier)) in [(3, 1), (4, 2), (6, 4), (3, 8)].enumerated() {
      let out = width * multiplier
      var stageBlocks = [Module]()
      for b in 0..<blocks {
        stageBlocks.append(basicBlock(channels, out, stride: b == 0 && stage > 0 ? 2 : 1, generator: &g))
        channels = out
      }
      layers.append(("layer\(stage + 1)", Sequential(stageBlocks)))
    }
    layers.append(("avgpool", GlobalAvgPool()))
    return layers
  }

  /// ResNet-34 with the hash head: [N, 3, H, W] → [N, bits].
  public static func resnet34(bits: Int, hidden: Int? = nil, width: Int = 64, generator g: inout RandomGenerator) -> Sequential {
    Sequential(named: body34(width: width, generator: &g) + [("hash", HashHead(width * 8, bits: bits, hidden: hidden, generator: &g))])
  }
}
