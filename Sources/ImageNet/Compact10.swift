// Compact10: the 10-layer image network — 8 convolutional layers with BatchNorm in the ResNet-34
// style, one fully connected layer of 4,096 units and the hash layer of k units. For small images
// and CPU training, where ResNet-34 is more than the data needs.
//
//   layer      output (for 224²)   what
//   conv1      64 × 112²           7×7/2 conv · BN · ReLU, then 3×3/2 max pool → 56²
//   layer1     64 × 56²            BasicBlock (2 convs)
//   layer2     128 × 28²           BasicBlock, stride 2 (2 convs, 1×1 downsample)
//   layer3     256 × 14²           BasicBlock, stride 2 (2 convs, 1×1 downsample)
//   conv5      512 × 7²            3×3/2 conv · BN · ReLU
//   avgpool    512                 global average pool
//   hash       4,096 → k           fc 4,096 · ReLU · fc k · tanh
//
// Eight 3×3-or-larger convolutions (conv1, 2 per block, conv5), the fc layer and the hash layer:
// ten weight layers, as in the Cauchy cross-media hashing paper.
//
// The stem above is ImageNet's (it shrinks the image 4× before layer1). Small images get a stem
// that shrinks them less, as ResNets for CIFAR do: `stemStride` 2 is a 3×3/2 conv, 1 a 3×3/1
// conv, both without the max pool. At 32² the ImageNet stem leaves layer1 an 8² map in which
// shapes of 8-16 pixels are a few cells, and the tower could not tell them apart (docs/labels.md).

import Tensor

public enum Compact10 {
  public static func network(bits: Int, width: Int = 64, hidden: Int = 4096, stemStride: Int = 4, generator g: inout RandomGenerator) -> Sequential {
    precondition([1, 2, 4].contains(stemStride), "Compact10: stem stride \(stemStride), expected 1, 2 or 4")
    let stem = stemStride == 4 ? Conv2D(3, width, kernelSize: 7, stride: 2, padding: 3, generator: &g)
                               : Conv2D(3, width, kernelSize: 3, stride: stemStride, padding: 1, generator: &g)
    stem.computesInputGradient = false
    let pool: [(String, Module)] = stemStride == 4 ? [("maxpool", MaxPool2d(kernelSize: 3, stride: 2, padding: 1))] : []
    return Sequential(named: [("conv1", stem), ("bn1", BatchNorm(width)), ("relu", ReLU())] + pool + [
      ("layer1", ResNet.basicBlock(width, width, stride: 1, generator: &g)),
      ("layer2", ResNet.basicBlock(width, width * 2, stride: 2, generator: &g)),
      ("layer3", ResNet.basicBlock(width * 2, width * 4, stride: 2, generator: &g)),
      ("conv5", Conv2D(width * 4, width * 8, kernelSize: 3, stride: 2, padding: 1, generator: &g)), ("bn5", BatchNorm(width * 8)), ("relu5", ReLU()),
      ("avgpool", GlobalAvgPool()),
      ("hash", HashHead(width * 8, bits: bits, hidden: hidden, generator: &g)),
    ])
  }
}
