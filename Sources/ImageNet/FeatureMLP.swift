// FeatureMLP: the image tower for corpora that carry feature rows instead of pixels (VGG fc7,
// SIFT bag-of-visual-words): hidden ReLU layers, then the hash head. [N, D] → [N, k].

import Tensor

public enum FeatureMLP {
  public static func network(inputSize: Int, bits: Int, hidden: [Int] = [4096], generator g: inout RandomGenerator) -> Sequential {
    var layers = [(String, Module)]()
    var size = inputSize
    for (i, width) in hidden.dropLast().enumerated() {
      layers += [("fc\(i + 1)", Linear(size, width, generator: &g)), ("relu\(i + 1)", ReLU())]
      size = width
    }
    layers.append(("hash", HashHead(size, bits: bits, hidden: hidden.last, generator: &g)))
    let network = Sequential(named: layers)
    network.namedModules().lazy.compactMap { $0.1 as? Linear }.first?.computesInputGradient = false  // the feature rows need no gradient
    return network
  }
}
