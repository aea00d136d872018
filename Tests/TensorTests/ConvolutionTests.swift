// Tests of Conv2D: forward and backward against the direct convolution on random shapes, and
// finite-difference gradients.

import Tensor
import TestSupport
import XCTest

final class ConvolutionTests: XCTestCase {
  /// (batch, in, out, height, width, kernel, stride, padding, bias)
  let shapes: [(Int, Int, Int, Int, Int, Int, Int, Int, Bool)] = [
    (2, 3, 4, 9, 9, 3, 1, 1, false),   // 3×3 stride 1 padding 1: Winograd, odd sides
    (3, 5, 2, 8, 6, 3, 1, 1, true),    // Winograd, even sides
    (2, 2, 3, 1, 3, 3, 1, 1, false),   // Winograd on a 1-row image
    (2, 3, 5, 10, 8, 3, 2, 1, true),
    (3, 4, 6, 7, 7, 1, 1, 0, true),    // 1×1 stride 1: the direct sgemm path
    (2, 4, 3, 9, 9, 1, 2, 0, false),   // 1×1 stride 2: ResNet's downsampling
    (1, 3, 4, 15, 13, 7, 2, 3, false), // the 7×7/2 stem
    (2, 2, 3, 5, 5, 5, 1, 0, true),    // kernel as large as the image
    (2, 2, 2, 4, 6, 3, 3, 2, false),   // stride larger than the kernel overlap, wide padding
  ]

  /// Each of `shapes` as a layer with random weights and bias, an input, and a label.
  func forEachShape(seed: UInt64, _ body: (Conv2D, Tensor, String, inout RandomGenerator) -> Void) {
    var g = RandomGenerator(seed: seed)
    for (n, c, o, h, w, k, s, p, hasBias) in shapes {
      let conv = Conv2D(c, o, kernelSize: k, stride: s, padding: p, bias: hasBias, generator: &g)
      if let bias = conv.bias { bias.value.assign(g.normal([o])) }
      body(conv, g.normal([n, c, h, w]), "n\(n) c\(c) o\(o) \(h)×\(w) k\(k) s\(s) p\(p)", &g)
    }
  }

  func testMatchesDirectConvolution() {
    forEachShape(seed: 11) { conv, x, label, g in
      let (s, p) = (conv.stride, conv.padding)
      let y = conv.forward(x)
      assertClose(y, ConvolutionReference.forward(x, weight: conv.weight.value, bias: conv.bias?.value, stride: s, padding: p),
                  tolerance: 1e-4, "forward \(label)")
      let dy = g.normal(y.shape)
      conv.zeroGradients()
      let dx = conv.backward(dy)
      let reference = ConvolutionReference.backward(x, weight: conv.weight.value, outputGradient: dy, stride: s, padding: p)
      assertClose(dx, reference.dx, tolerance: 1e-4, "input gradient \(label)")
      assertClose(conv.weight.grad, reference.dw, tolerance: 1e-4, "weight gradient \(label)")
    }
  }

  func testInferenceAppliesTheChannelMapOnEveryPath() {
    // Conv2D.infer(x, then:) against the reference convolution followed by the map, with and
    // without a ReLU, through the Winograd, im2col and 1×1 paths.
    forEachShape(seed: 16) { conv, x, label, g in
      let (n, o) = (x.shape[0], conv.outChannels)
      let reference = ConvolutionReference.forward(x, weight: conv.weight.value, bias: conv.bias?.value, stride: conv.stride, padding: conv.padding)
      XCTAssertEqual(conv.infer(x).scalars, conv.forward(x).scalars, "plain inference is the forward")
      for relu in [false, true] {
        let scale = g.normal([o]).scalars.map { 0.5 + abs($0) }, shift = g.normal([o]).scalars
        let plane = reference.count / (n * o)
        let expected = Tensor(shape: reference.shape, values: reference.scalars.enumerated().map { i, v in
          let y = v * scale[i / plane % o] + shift[i / plane % o]
          return relu ? max(0, y) : y
        })
        assertClose(conv.infer(x, then: ChannelAffine(scale: scale, shift: shift, relu: relu)), expected, tolerance: 1e-4, "\(label) relu \(relu)")
      }
    }
  }

  func testChunkedBatchMatchesReference() {
    // A batch large enough to be split into several sgemm chunks is still exact.
    var g = RandomGenerator(seed: 12)
    let conv = Conv2D(64, 8, kernelSize: 3, padding: 1, generator: &g)
    let x = g.normal([12, 64, 48, 48])
    let y = conv.forward(x)
    let reference = ConvolutionReference.forward(Tensor(shape: [1, 64, 48, 48], values: Array(x.scalars.suffix(64 * 48 * 48))),
                                                 weight: conv.weight.value, bias: nil, stride: 1, padding: 1)
    assertClose(Tensor(shape: reference.shape, values: Array(y.scalars.suffix(reference.count))), reference, tolerance: 1e-4, "last image")
  }

  func testWinogradMatchesIm2colOnAResNetLayer() {
    var g = RandomGenerator(seed: 15)
    let conv = Conv2D(32, 48, kernelSize: 3, padding: 1, generator: &g)
    let x = g.normal([5, 32, 14, 14]), dy = g.normal([5, 48, 14, 14])
    func pass(_ winograd: Bool) -> (Tensor, Tensor, Tensor) {
      Conv2D.usesWinograd = winograd
      defer { Conv2D.usesWinograd = true }
      conv.zeroGradients()
      let y = conv.forward(x), dx = conv.backward(dy)
      return (y, dx, Tensor(shape: conv.weight.grad.shape, values: conv.weight.grad.scalars))
    }
    let (fast, plain) = (pass(true), pass(false))
    assertClose(fast.0, plain.0, tolerance: 1e-4, "forward")
    assertClose(fast.1, plain.1, tolerance: 1e-4, "input gradient")
    // Each weight gradient sums 5 × 16 tiles of 36-point F(4×4, 3×3) transforms whose
    // coefficients reach 8² and 1/24²: float rounding leaves up to ~5e-4 on sums of this size.
    assertClose(fast.2, plain.2, tolerance: 1e-3, "weight gradient")
  }

  func testWinogradChunksBlocksAndGatheredMapsMatchReference() {
    // A small column budget forces what ResNet's layers reach at full size: weights transformed a
    // block of output channels at a time (4×4 maps, one tile per image, gathered across images),
    // a batch in several chunks (9×9 maps, gathered; 17×17 maps, split).
    let saved = Conv2D.columnBudget
    Conv2D.columnBudget = 36 * 20 * 16
    defer { Conv2D.columnBudget = saved }
    var g = RandomGenerator(seed: 16)
    for (n, c, o, side) in [(5, 20, 40, 4), (3, 20, 40, 9), (2, 8, 24, 17)] {
      let conv = Conv2D(c, o, kernelSize: 3, padding: 1, generator: &g)
      let x = g.normal([n, c, side, side]), dy = g.normal([n, o, side, side])
      let y = conv.forward(x)
      conv.zeroGradients()
      let dx = conv.backward(dy)
      let reference = ConvolutionReference.backward(x, weight: conv.weight.value, outputGradient: dy, stride: 1, padding: 1)
      let label = "n\(n) c\(c) o\(o) \(side)²"
      assertClose(y, ConvolutionReference.forward(x, weight: conv.weight.value, bias: nil, stride: 1, padding: 1), tolerance: 1e-4, "forward \(label)")
      assertClose(dx, reference.dx, tolerance: 1e-4, "input gradient \(label)")
      assertClose(conv.weight.grad, reference.dw, tolerance: 1e-3, "weight gradient \(label)")
    }
  }

  func testGradients() {
    var g = RandomGenerator(seed: 13)
    for (n, c, o, h, w, k, s, p, hasBias) in shapes.prefix(7) {
      let conv = Conv2D(c, o, kernelSize: k, stride: s, padding: p, bias: hasBias, generator: &g)
      GradientCheck.check(conv, input: g.normal([n, c, h, w]))
    }
  }

  func testSkippedInputGradientStillAccumulatesWeights() {
    var g = RandomGenerator(seed: 14)
    let conv = Conv2D(3, 4, kernelSize: 3, stride: 2, padding: 1, generator: &g)
    conv.computesInputGradient = false
    let x = g.normal([2, 3, 8, 8])
    let dy = g.normal(conv.forward(x).shape)
    let dx = conv.backward(dy)
    XCTAssertEqual(dx.scalars.reduce(0) { $0 + abs($1) }, 0)
    let reference = ConvolutionReference.backward(x, weight: conv.weight.value, outputGradient: dy, stride: 2, padding: 1)
    assertClose(conv.weight.grad, reference.dw, tolerance: 1e-4, "weight gradient")
  }

  func testInitialisationIsKaimingNormal() {
    var g = RandomGenerator(seed: 15)
    let conv = Conv2D(64, 128, kernelSize: 3, generator: &g)
    let values = conv.weight.value.scalars
    let variance = values.reduce(0) { $0 + Double($1 * $1) } / Double(values.count)
    XCTAssertEqual(variance, 2.0 / Double(128 * 9), accuracy: 0.05 * 2.0 / Double(128 * 9))
  }
}
