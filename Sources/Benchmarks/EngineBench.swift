// EngineBench: sgemm GFLOP/s (square, and the text tower's 128 × 4,096 × 4,096), the text tower's
// 4,096² Linear layer forward/backward as training runs it (bf16 through oneDNN, the rounding of
// its operands included, or float32), Conv2D forward/backward GFLOP/s on ResNet-34's shapes, and
// BatchNorm+ReLU and the RMSprop update in GB/s beside a plain memory copy (`cmh bench engine`).

import Foundation
import Platform
import Tensor

public struct EngineBench {
  public var batch: Int, repeats: Int, quick: Bool

  public init(batch: Int = 32, repeats: Int = 3, quick: Bool = false) {
    (self.batch, self.repeats, self.quick) = (batch, repeats, quick)
  }

  /// ResNet-34's convolution shapes: (name, channels in, out, input side, kernel, stride, padding).
  public static let convolutions: [(String, Int, Int, Int, Int, Int, Int)] = [
    ("stem 3→64 7×7/2 @224", 3, 64, 224, 7, 2, 3),
    ("3×3 64 @56", 64, 64, 56, 3, 1, 1),
    ("3×3 128 @28", 128, 128, 28, 3, 1, 1),
    ("3×3 256 @14", 256, 256, 14, 3, 1, 1),
    ("3×3 512 @7", 512, 512, 7, 3, 1, 1),
    ("3×3 64 @32", 64, 64, 32, 3, 1, 1),   // the same layers of a 128² image
    ("3×3 128 @16", 128, 128, 16, 3, 1, 1),
    ("3×3 256 @8", 256, 256, 8, 3, 1, 1),
    ("3×3 512 @4", 512, 512, 4, 3, 1, 1),
  ]

  public func run(measured: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
    var results = [BenchResult]()
    let threads: (String, JSONLine.Value) = ("threads", .int(Threads.count))
    var peak = 0.0
    for n in quick ? [256] : [1024, 2048] {
      let gflops = sgemm(n)
      peak = max(peak, gflops)
      results.append(BenchResult(name: "sgemm", unit: "GFLOP/s", value: gflops, parameters: [("size", .int(n)), threads]))
      measured(results.last!)
    }
    let (m, n) = quick ? (16, 256) : (128, 4096)  // a text tower batch through a 4,096-wide layer
    results.append(BenchResult(name: "sgemm", unit: "GFLOP/s", value: sgemm(m, n, n), parameters: [("size", .string("\(m)x\(n)x\(n)")), threads]))
    measured(results.last!)
    for rows in quick ? [16] : [64, 128] {
      let rate = linear(rows: rows, width: n)
      let path: JSONLine.Value = .string(Precision.current == .bf16 ? "onednn-bf16" : "sgemm")
      for (pass, value) in [("forward", rate.forward), ("backward", rate.backward)] {
        results.append(BenchResult(name: "linear.\(pass)", unit: "GFLOP/s", value: value,
                                   parameters: [("size", .string("\(rows)x\(n)x\(n)")), ("path", path), threads]))
        measured(results.last!)
      }
    }
    for (name, c, o, side, k, s, p) in Self.convolutions {
      let scale = quick ? 4 : 1
      // 3×3 stride-1 layers are measured on both float32 paths: the figures behind Winograd's use.
      // In bf16 every layer here runs oneDNN's kernels (BF16Convolution).
      let paths = Precision.current == .bf16 ? ["onednn-bf16"] : k == 3 && s == 1 ? ["winograd", "im2col"] : ["im2col"]
      for path in paths {
        Conv2D.usesWinograd = path == "winograd"
        defer { Conv2D.usesWinograd = true }
        let (forward, backward) = convolution(c, o, side: max(side / scale, k), kernel: k, stride: s, padding: p, first: c == 3)
        let params: [(String, JSONLine.Value)] = [("shape", .string(name)), ("path", .string(path)), ("batch", .int(quick ? 2 : batch)), threads]
        for (pass, rate) in [("forward", forward), ("backward", backward)] {
          results.append(BenchResult(name: "conv2d.\(pass)", unit: "GFLOP/s", value: rate.median,
                                     parameters: [("best", .number(rate.best, places: 1))] + params + [("of_sgemm", .number(rate.median / peak, places: 2))]))
        }
        measured(results.last!)
      }
    }
    results += bandwidth()
    results += rmspropUpdates()
    return results
  }

  private func sgemm(_ n: Int) -> Double { sgemm(n, n, n) }

  /// [m, k] × [k, n] in GFLOP/s.
  private func sgemm(_ m: Int, _ n: Int, _ k: Int) -> Double {
    var g = RandomGenerator(seed: 1)
    let a = g.normal([m, k]), b = g.normal([k, n])
    let seconds = BenchTiming.median(repeats: repeats) { _ = BLAS.matmul(a, b) }
    return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
  }

  /// Forward and backward (input and weight gradients) GFLOP/s of a width × width Linear layer on
  /// `rows` dense rows, medians.
  private func linear(rows: Int, width: Int) -> (forward: Double, backward: Double) {
    var g = RandomGenerator(seed: 3)
    let layer = Linear(width, width, generator: &g)
    let x = g.normal([rows, width]), dy = g.normal([rows, width])
    let flops = 2.0 * Double(rows * width * width)
    let forward = BenchTiming.median(repeats: repeats) { _ = layer.forward(x) }
    let backward = BenchTiming.median(repeats: repeats) { _ = layer.backward(dy) }
    return (flops / forward / 1e9, 2 * flops / backward / 1e9)
  }

  /// Forward and backward GFLOP/s of one convolution, counted as the direct convolution's multiply-adds
  /// (Winograd does fewer, so its figure is an effective rate); the first layer computes no input gradient.
  private func convolution(_ c: Int, _ o: Int, side: Int, kernel: Int, stride: Int, padding: Int, first: Bool)
    -> (forward: (median: Double, best: Double), backward: (median: Double, best: Double)) {
    var g = RandomGenerator(seed: 2)
    let n = quick ? 2 : batch
    let conv = Conv2D(c, o, kernelSize: kernel, stride: stride, padding: padding, generator: &g)
    conv.computesInputGradient = !first
    let x = g.normal([n, c, side, side])
    let y = conv.forward(x)
    let dy = g.normal(y.shape)
    let flops = 2.0 * Double(n * o * c * kernel * kernel * y.shape[2] * y.shape[3])
    let forward = BenchTiming.times(repeats: repeats) { _ = conv.forward(x) }
    let backward = BenchTiming.times(repeats: repeats) { _ = conv.backward(dy) }
    let backwardFlops = flops * (first ? 1 : 2)
    return ((flops / forward.median / 1e9, flops / forward.best / 1e9),
            (backwardFlops / backward.median / 1e9, backwardFlops / backward.best / 1e9))
  }

  /// BatchNorm+ReLU forward and backward as GB/s of the minimal traffic, beside memcpy.
  private func bandwidth() -> [BenchResult] {
    var g = RandomGenerator(seed: 3)
    let shape = quick ? [2, 64, 16, 16] : [batch, 64, 56, 56]
    let x = g.normal(shape), bn = BatchNorm(64), relu = ReLU()
    let bytes = Double(x.count * 4)
    let copy = Tensor(zeros: shape)
    let memcpyTime = BenchTiming.median(repeats: repeats) { copy.assign(x) }
    let forward = BenchTiming.median(repeats: repeats) { _ = relu.forward(bn.forward(x)) }
    let dy = g.normal(shape)
    let backward = BenchTiming.median(repeats: repeats) { _ = bn.backward(relu.backward(dy)) }
    let label: (String, JSONLine.Value) = ("shape", .string(shape.map(String.init).joined(separator: "x")))
    // Minimal traffic: BN reads x twice (statistics, normalise) and writes y; ReLU reads y, writes z.
    // Backward: ReLU reads y, dy, writes d; BN reads x, d twice (sums, result) and writes dx.
    return [
      BenchResult(name: "memcpy", unit: "GB/s", value: 2 * bytes / memcpyTime / 1e9, parameters: [label]),
      BenchResult(name: "batchnorm_relu.forward", unit: "GB/s", value: 5 * bytes / forward / 1e9, parameters: [label]),
      BenchResult(name: "batchnorm_relu.backward", unit: "GB/s", value: 8 * bytes / backward / 1e9, parameters: [label]),
    ]
  }

  /// One RMSprop step over the text tower's 22.7M weights, and over a rank's half of the columns
  /// of a 4,096² layer against as many weights in one run (what a rank of a split pair updates:
  /// half of every row), as GB/s of the minimal traffic: weights, gradient and square average
  /// read, weights and square average written.
  private func rmspropUpdates() -> [BenchResult] {
    let side = quick ? 256 : 4096
    return [rmspropUpdate("rmsprop.update", shape: [quick ? 1 << 16 : 22_724_672], owned: nil),
            rmspropUpdate("rmsprop.update.half_columns", shape: [side, side], owned: .columns(0..<side / 2, rows: side, width: side)),
            rmspropUpdate("rmsprop.update.as_many_in_one_run", shape: [side * side / 2], owned: nil)]
  }

  private func rmspropUpdate(_ name: String, shape: [Int], owned: Segments?) -> BenchResult {
    var g = RandomGenerator(seed: 4)
    let p = Parameter(g.normal(shape))
    p.grad.assign(g.normal(shape))
    p.owned = owned
    let weights = owned?.total ?? p.value.count
    let rmsprop = RMSprop(groups: [ParameterGroup([("w", p)], learningRate: 1e-4)])
    rmsprop.step()  // the state's first touch is not timed
    let seconds = BenchTiming.median(repeats: repeats) { rmsprop.step() }
    return BenchResult(name: name, unit: "GB/s", value: 5 * 4 * Double(weights) / seconds / 1e9,
                       parameters: [("weights", .int(weights)), ("ms", .number(seconds * 1000, places: 2))])
  }
}
