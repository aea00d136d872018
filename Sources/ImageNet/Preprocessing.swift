// Preprocessing: torchvision's image transforms on RGB images — resize with antialiasing (a
// triangle filter widened by the downscale factor, as PIL's bilinear), center crop, random resized
// crop and horizontal flip for training, and ImageNet mean/std normalisation into CHW floats.

import Corpus
import Foundation
import Tensor

/// Pixels as floats in 0…255, height × width × 3.
struct FloatImage {
  let width: Int, height: Int
  var values: [Float]
}

public struct Preprocessing: Sendable {
  public static let mean: [Float] = [0.485, 0.456, 0.406]
  public static let std: [Float] = [0.229, 0.224, 0.225]

  /// Output side (224 for the benchmarks).
  public let size: Int
  /// Evaluation resizes the shorter side to size·256/224 first, then takes the center crop.
  public let resize: Int

  public init(size: Int) {
    precondition(size >= 8, "Preprocessing: size \(size) is too small")
    self.size = size
    self.resize = size * 256 / 224
  }

  /// Evaluation: resize the shorter side, center crop, normalise. 3 × size × size values (CHW).
  public func evaluation(_ image: RGBImage) -> [Float] { Self.normalise(centerCrop(image)) }

  /// The evaluation crop before normalisation, rounded to bytes (HWC): what an image cache keeps,
  /// a quarter of the floats' size. `normalise(pixels:orientation:into:)` turns it into the network input.
  public func evaluationPixels(_ image: RGBImage) -> [UInt8] {
    centerCrop(image).values.map { UInt8(max(0, min(255, $0.rounded()))) }
  }

  /// size × size HWC bytes → CHW normalised floats at `out`, placed as `orientation` says.
  public func normalise(pixels: UnsafePointer<UInt8>, orientation: Orientation = .upright, into out: UnsafeMutablePointer<Float>) {
    let plane = size * size
    let scale = (0..<3).map { 1 / (255 * Self.std[$0]) }, shift = (0..<3).map { Self.mean[$0] / Self.std[$0] }
    for r in 0..<size {
      for c in 0..<size {
        let (y, x) = orientation.source(r, c, size)
        let source = (y * size + x) * 3, target = r * size + c
        for k in 0..<3 { out[k * plane + target] = Float(pixels[source + k]) * scale[k] - shift[k] }
      }
    }
  }

  private func centerCrop(_ image: RGBImage) -> FloatImage {
    let scale = Double(resize) / Double(min(image.width, image.height))
    let w = max(size, Int((Double(image.width) * scale).rounded())), h = max(size, Int((Double(image.height) * scale).rounded()))
    let resized = Self.resample(image, x: 0, y: 0, width: Double(image.width), height: Double(image.height), to: w, h)
    return Self.crop(resized, left: (w - size) / 2, top: (h - size) / 2, size: size)
  }

  /// Training: a random crop of 8–100% of the area with aspect ratio 3/4–4/3, resized to size,
  /// flipped half the time, normalised (torchvision's RandomResizedCrop + RandomHorizontalFlip;
  /// after ten misses it falls back to the whole image).
  public func training(_ image: RGBImage, generator g: inout RandomGenerator) -> [Float] {
    let area = Double(image.width * image.height)
    var box = (x: 0.0, y: 0.0, w: Double(image.width), h: Double(image.height))
    for _ in 0..<10 {
      let target = area * Double(g.nextUniform(0.08, 1))
      let ratio = exp(Double(g.nextUniform(Float(log(3.0 / 4)), Float(log(4.0 / 3)))))
      let w = (target * ratio).squareRoot().rounded(), h = (target / ratio).squareRoot().rounded()
      if w >= 1 && h >= 1 && w <= Double(image.width) && h <= Double(image.height) {
        box = (Double(g.nextInt(below: image.width - Int(w) + 1)), Double(g.nextInt(below: image.height - Int(h) + 1)), w, h)
        break
      }
    }
    var out = Self.resample(image, x: box.x, y: box.y, width: box.w, height: box.h, to: size, size)
    if g.nextUniform() < 0.5 { out = Self.flipped(out) }
    return Self.normalise(out)
  }

  /// A batch tensor [N, 3, size, size] from preprocessed images.
  public func batch(_ images: [[Float]]) -> Tensor {
    Tensor(shape: [images.count, 3, size, size], values: images.flatMap { $0 })
  }

  /// `image` scaled down (antialiased) so that its longer side is at most `longestSide`; a
  /// smaller image comes back as it is. For result grids, not for the network.
  public static func thumbnail(_ image: RGBImage, longestSide: Int) -> RGBImage {
    let scale = Double(longestSide) / Double(max(image.width, image.height))
    guard scale < 1 else { return image }
    let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
    let small = resample(image, x: 0, y: 0, width: Double(image.width), height: Double(image.height), to: w, h)
    return RGBImage(width: w, height: h, pixels: small.values.map { UInt8(max(0, min(255, $0.rounded()))) })
  }

  // MARK: Pieces

  /// The box (x, y, width, height) of `image` resampled to outW × outH. Each output pixel averages
  /// the input under a triangle filter whose support grows with the downscale factor (antialiasing).
  static func resample(_ image: RGBImage, x: Double, y: Double, width: Double, height: Double, to outW: Int, _ outH: Int) -> FloatImage {
    let horizontal = Taps(weights(from: x, length: width, inputSize: image.width, outputSize: outW))
    let vertical = Taps(weights(from: y, length: height, inputSize: image.height, outputSize: outH))
    // Through pointers and flat tap tables: nested arrays in these loops cost a reference count
    // per pixel. Each output sums its taps in order from zero, as the plain loops did.
    let rowLength = outW * 3
    var rows = [Float](repeating: 0, count: image.height * rowLength)  // horizontal pass: height × outW × 3
    image.pixels.withUnsafeBufferPointer { p in
      rows.withUnsafeMutableBufferPointer { rows in
        for r in 0..<image.height {
          let source = p.baseAddress! + r * image.width * 3, target = rows.baseAddress! + r * rowLength
          for o in 0..<outW {
            var (red, green, blue): (Float, Float, Float) = (0, 0, 0)
            for t in horizontal.range(o) {
              let (i, w) = (horizontal.index[t] * 3, horizontal.weight[t])
              red += w * Float(source[i]); green += w * Float(source[i + 1]); blue += w * Float(source[i + 2])
            }
            (target[o * 3], target[o * 3 + 1], target[o * 3 + 2]) = (red, green, blue)
          }
        }
      }
    }
    var out = [Float](repeating: 0, count: outH * rowLength)
    rows.withUnsafeBufferPointer { rows in
      out.withUnsafeMutableBufferPointer { out in
        for o in 0..<outH {
          let target = out.baseAddress! + o * rowLength
          for t in vertical.range(o) {
            let (source, w) = (rows.baseAddress! + vertical.index[t] * rowLength, vertical.weight[t])
            for q in 0..<rowLength { target[q] += w * source[q] }
          }
        }
      }
    }
    return FloatImage(width: outW, height: outH, values: out)
  }

  /// Per-output tap lists, flattened: output o's taps are index[t], weight[t] for t in range(o).
  struct Taps {
    let start: [Int], index: [Int], weight: [Float]

    init(_ lists: [[(Int, Float)]]) {
      var start = [0]
      for list in lists { start.append(start.last! + list.count) }
      (self.start, index, weight) = (start, lists.flatMap { $0.map(\.0) }, lists.flatMap { $0.map(\.1) })
    }

    func range(_ o: Int) -> Range<Int> { start[o]..<start[o + 1] }
  }

  /// Per output index: (input index, weight) pairs summing to 1.
  static func weights(from start: Double, length: Double, inputSize: Int, outputSize: Int) -> [[(Int, Float)]] {
    let scale = length / Double(outputSize), support = max(scale, 1)
    return (0..<outputSize).map { o in
      let centre = start + (Double(o) + 0.5) * scale
      let lo = max(0, Int((centre - support).rounded(.down))), hi = min(inputSize - 1, Int((centre + support).rounded(.up)))
      var taps = [(Int, Float)](), total = 0.0
      if lo <= hi {
        for i in lo...hi {
          let w = max(0, 1 - abs(Double(i) + 0.5 - centre) / support)
          if w > 0 { taps.append((i, Float(w))); total += w }
        }
      }
      if taps.isEmpty { return [(min(max(Int(centre), 0), inputSize - 1), 1)] }
      return taps.map { ($0.0, Float(Double($0.1) / total)) }
    }
  }

  static func crop(_ image: FloatImage, left: Int, top: Int, size: Int) -> FloatImage {
    var out = [Float]()
    out.reserveCapacity(size * size * 3)
    for r in top..<(top + size) { out += image.values[((r * image.width + left) * 3)..<((r * image.width + left + size) * 3)] }
    return FloatImage(width: size, height: size, values: out)
  }

  static func flipped(_ image: FloatImage) -> FloatImage {
    var out = image.values
    for r in 0..<image.height {
      for c in 0..<image.width {
        for k in 0..<3 { out[(r * image.width + c) * 3 + k] = image.values[(r * image.width + image.width - 1 - c) * 3 + k] }
      }
    }
    return FloatImage(width: image.width, height: image.height, values: out)
  }

  /// HWC in 0…255 → CHW, (x/255 − mean)/std.
  static func normalise(_ image: FloatImage) -> [Float] {
    let plane = image.width * image.height
    var out = [Float](repeating: 0, count: 3 * plane)
    for p in 0..<plane { for c in 0..<3 { out[c * plane + p] = (image.values[p * 3 + c] / 255 - mean[c]) / std[c] } }
    return out
  }
}
