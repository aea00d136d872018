// Im2col: unfolds image patches into matrix columns (and folds them back) for convolution by sgemm.

import Foundation

/// The sizes of one 2-D convolution or pooling window over a C×H×W image.
public struct ConvGeometry: Equatable, Sendable {
  public let channels: Int, height: Int, width: Int
  public let kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int

  public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
    self.channels = channels; self.height = height; self.width = width
    self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth; self.stride = stride; self.padding = padding
  }

  public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
  public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
  /// Rows of the column matrix: one per (channel, kernel row, kernel column).
  public var patchSize: Int { channels * kernelHeight * kernelWidth }
  public var imageSize: Int { channels * height * width }
  public var outputPlane: Int { outputHeight * outputWidth }

  /// The output columns ow whose input column ow·stride − padding + kj lies inside the image.
  @inline(__always)
  func validColumns(kj: Int) -> Range<Int> {
    let shift = padding - kj
    let low = shift <= 0 ? 0 : (shift + stride - 1) / stride
    let top = width - 1 + shift
    let high = top < 0 ? -1 : min(outputWidth - 1, top / stride)
    return low <= high ? low..<(high + 1) : 0..<0
  }
}

enum Im2col {
  /// Writes the patches of one image into columns `offset..<offset + outputPlane` of `columns`,
  /// a patchSize × rowStride matrix; positions in the padding become zero.
  static func unfold(_ image: UnsafePointer<Float>, _ g: ConvGeometry, into columns: UnsafeMutablePointer<Float>, rowStride: Int, offset: Int) {
    let ho = g.outputHeight, wo = g.outputWidth, s = g.stride
    for c in 0..<g.channels {
      let plane = image + c * g.height * g.width
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let row = (c * g.kernelHeight + ki) * g.kernelWidth + kj
          let dst = columns + row * rowStride + offset
          let valid = g.validColumns(kj: kj)
          for oh in 0..<ho {
            let out = dst + oh * wo
            let ih = oh * s - g.padding + ki
            guard ih >= 0 && ih < g.height else { out.update(repeating: 0, count: wo); continue }
            let src = plane + ih * g.width - g.padding + kj
            if valid.isEmpty { out.update(repeating: 0, count: wo); continue }
            if valid.lowerBound > 0 { out.update(repeating: 0, count: valid.lowerBound) }
            if s == 1 {
              (out + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
            } else {
              for ow in valid { out[ow] = src[ow * s] }
            }
            if valid.upperBound < wo { (out + valid.upperBound).update(repeating: 0, count: wo - valid.upperBound) }
          }
        }
      }
    }
  }

  /// Adds columns `offset..<offset + outputPlane` of `columns` back onto the image they came from.
  static func fold(_ columns: UnsafePointer<Float>, _ g: ConvGeometry, rowStride: Int, offset: Int, into image: UnsafeMutablePointer<Float>) {
    let ho = g.outputHeight, wo = g.outputWidth, s = g.stride
    for c in 0..<g.channels {
      let plane = image + c * g.height * g.width
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let row = (c * g.kernelHeight + ki) * g.kernelWidth + kj
          let src = columns + row * rowStride + offset
          let valid = g.validColumns(kj: kj)
          for oh in 0..<ho {
            let ih = oh * s - g.padding + ki
            guard ih >= 0 && ih < g.height else { continue }
            let dst = plane + ih * g.width - g.padding + kj
            let col = src + oh * wo
            for ow in valid { dst[ow * s] += col[ow] }
          }
        }
      }
    }
  }
}

/// Grow-only scratch memory for the convolution kernels: one set of buffers per worker thread,
/// reused from call to call (one layer runs at a time).
final class Scratch: @unchecked Sendable {
  static let shared = Scratch()
  private var buffers: [Int: UnsafeMutablePointer<Float>] = [:]
  private var sizes: [Int: Int] = [:]
  private let lock = NSLock()

  /// Buffer `slot` of `worker`, at least `count` floats; contents are undefined.
  func buffer(_ slot: Int, worker: Int = 0, count: Int) -> UnsafeMutablePointer<Float> {
    let key = worker * 8 + slot
    lock.lock()
    defer { lock.unlock() }
    if let p = buffers[key], sizes[key]! >= count { return p }
    buffers[key]?.deallocate()
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
    let p = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    buffers[key] = p
    sizes[key] = count
    return p
  }
}
