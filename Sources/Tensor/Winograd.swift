// Winograd: 3×3 stride-1 padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin &
// Gray, 2016), forward and weight gradient; the input gradient of such a layer is itself one (the
// flipped kernel, see Conv2D), so all three passes of ResNet's 3×3 layers go through here.
//
// Each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input patch d around it: the 16
// products become 16 sgemms of depth C over all tiles, 16·O·C·(H·W/4) multiply-adds instead of
// im2col's 9·O·C·H·W (2.25× fewer). The weight gradient is that map's adjoint: dU = dM·Vᵀ per
// transformed position, dM = A dY Aᵀ, dg = Gᵀ dU G.
//
// For the input transform the padded input is split by row and column parity, and each parity
// plane is kept twice, as is and shifted one column left, in the tiles' row-by-row layout: the 16
// inputs of every tile then sit at fixed offsets of its own index, and the transform is 16-lane
// vector code over the tiles of each channel. The output transforms are vector code over
// the tiles too.
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]

import Foundation

enum Winograd {
  static func applies(_ g: ConvGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
  }

  /// The tiling of one image plane: `rows` × `columns` tiles of 2×2 outputs.
  struct Tiling {
    let height: Int, width: Int, rows: Int, columns: Int
    init(_ g: ConvGeometry) {
      height = g.height; width = g.width
      rows = (g.height + 1) / 2; columns = (g.width + 1) / 2
    }
    /// Tiles per image.
    var tiles: Int { rows * columns }
    /// Floats of one channel in a split array: the tiles' rows and one more.
    var plane: Int { (rows + 1) * columns }
    var lanes: Int { Self.whole(tiles) }
    static func whole(_ n: Int) -> Int { (n + Lane.scalarCount - 1) / Lane.scalarCount * Lane.scalarCount }
    /// One split array of all channels of an image, with room for the last vector's reads.
    func splitStride(channels c: Int) -> Int { c * plane + columns + Lane.scalarCount }
    /// Per-worker scratch: the input transform's eight split arrays, or the output transforms'
    /// four corner rows and 16 rows over the tiles.
    func scratchSize(channels c: Int) -> Int { max(8 * splitStride(channels: c), 20 * lanes) }
  }

  typealias Lane = SIMD16<Float>
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }
  @inline(__always) static func store(_ v: Lane, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

  /// Images per chunk so that the transformed inputs and products stay within the column budget.
  static func chunkSize(_ t: Tiling, channels: Int, outChannels: Int, batch: Int) -> Int {
    max(1, min(batch, Conv2D.columnBudget / max(1, 16 * max(channels, outChannels) * t.tiles)))
  }

  // MARK: Forward

  /// y = W ⋆ x for 3×3 stride-1 padding-1 weights [O, C, 3, 3] over a batch [N, C, H, W].
  static func convolve(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry, weights: UnsafePointer<Float>,
                       outChannels oc: Int, into y: UnsafeMutablePointer<Float>) {
    let t = Tiling(g), c = g.channels, nb = chunkSize(t, channels: c, outChannels: oc, batch: n)
    let u = transformWeights(weights, outChannels: oc, channels: c)
    defer { StoragePool.shared.release(u, count: 16 * oc * c) }
    Threads.splitWork(n) { worker, images in
      let v = Scratch.shared.buffer(3, worker: worker, count: 16 * c * (nb * t.tiles + Lane.scalarCount))
      let m = Scratch.shared.buffer(4, worker: worker, count: 16 * oc * nb * t.tiles + Lane.scalarCount)
      let split = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize(channels: c))
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        let ldv = tiles + Lane.scalarCount
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v, rowStride: ldv)
        for p in 0..<16 {
          BLAS.gemm(m: oc, n: tiles, k: c, a: u + p * oc * c, lda: c, b: v + p * c * ldv, ldb: ldv, c: m + p * oc * tiles, ldc: tiles)
        }
        transformOutputs(m, images: b, outChannels: oc, t, scratch: split, into: y + start * oc * g.height * g.width)
      }
    }
  }

  /// U = G g Gᵀ for every (o, c), laid out [16][O][C]: 16 input channels at a time, their nine
  /// weights first gathered into vectors.
  static func transformWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, channels c: Int) -> UnsafeMutablePointer<Float> {
    let u = StoragePool.shared.allocate(16 * oc * c), s = oc * c, n = Lane.scalarCount
    Threads.parallelFor(oc) { o in
      var gathered = [Lane](repeating: Lane(), count: 9), out = [Lane](repeating: Lane(), count: 16)
      for start in Swift.stride(from: 0, to: c, by: n) {
        let count = min(n, c - start)
        for j in 0..<9 {
          var lane = Lane()
          for l in 0..<count { lane[l] = w[(o * c + start + l) * 9 + j] }
          gathered[j] = lane
        }
        for j in 0..<3 {  // G g, column j: g0, ½(g0 + g1 + g2), ½(g0 − g1 + g2), g2 → rows a of 3
          let (g0, g1, g2) = (gathered[j], gathered[3 + j], gathered[6 + j])
          out[j] = g0; out[3 + j] = 0.5 * (g0 + g1 + g2); out[6 + j] = 0.5 * (g0 - g1 + g2); out[9 + j] = g2
        }
        let rows = Array(out[0..<12])
        for a in 0..<4 {  // (G g) Gᵀ along each row
          let (r0, r1, r2) = (rows[3 * a], rows[3 * a + 1], rows[3 * a + 2])
          out[4 * a] = r0; out[4 * a + 1] = 0.5 * (r0 + r1 + r2); out[4 * a + 2] = 0.5 * (r0 - r1 + r2); out[4 * a + 3] = r2
        }
        for xi in 0..<16 {
          let dst = u + xi * s + o * c + start
          if count == n { store(out[xi], dst) } else { for l in 0..<count { dst[l] = out[xi][l] } }
        }
      }
    }
    return u
  }

  /// V = Bᵀ d B for every tile of every channel of `images` images, laid out [16][C][rowStride]
  /// (image after image in a row). The last vector of a channel may write up to 15 floats past its
  /// tiles: into the next image's, written later, or into the row's slack after the last image.
  static func transformInputs(_ x: UnsafePointer<Float>, images: Int, channels c: Int, _ t: Tiling,
                              split: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>, rowStride: Int) {
    let w = t.columns, plane = t.plane, stride = t.splitStride(channels: c), xs = c * rowStride
    // d[a][b] of tile q: split array (a % 2, b % 2, shifted by b / 2) at q + (a / 2)·columns.
    let e = UnsafePointer(split), o = e + stride, f = o + stride, g = f + stride  // even rows: even/odd columns, shifted
    let e1 = g + stride, o1 = e1 + stride, f1 = o1 + stride, g1 = f1 + stride     // odd rows
    for i in 0..<images {
      splitPadded(x + i * c * t.height * t.width, channels: c, t, into: split, stride: stride)
      for ci in 0..<c {
        let out = v + ci * rowStride + i * t.tiles
        for q in Swift.stride(from: ci * plane, to: ci * plane + t.tiles, by: Lane.scalarCount) {
          let r0 = (load(e + q), load(o + q), load(f + q), load(g + q))
          let r1 = (load(e1 + q), load(o1 + q), load(f1 + q), load(g1 + q))
          let r2 = (load(e + q + w), load(o + q + w), load(f + q + w), load(g + q + w))
          let r3 = (load(e1 + q + w), load(o1 + q + w), load(f1 + q + w), load(g1 + q + w))
          // Bᵀ down the columns: rows r0 − r2, r1 + r2, r2 − r1, r1 − r3; then Bᵀ along each.
          let at = out + q - ci * plane
          columnTransform((r0.0 - r2.0, r0.1 - r2.1, r0.2 - r2.2, r0.3 - r2.3), at, xs)
          columnTransform((r1.0 + r2.0, r1.1 + r2.1, r1.2 + r2.2, r1.3 + r2.3), at + 4 * xs, xs)
          columnTransform((r2.0 - r1.0, r2.1 - r1.1, r2.2 - r1.2, r2.3 - r1.3), at + 8 * xs, xs)
          columnTransform((r1.0 - r3.0, r1.1 - r3.1, r1.2 - r3.2, r1.3 - r3.3), at + 12 * xs, xs)
        }
      }
    }
  }

  /// Bᵀ along one row (d0, d1, d2, d3): d0 − d2, d1 + d2, d2 − d1, d1 − d3, stored `stride` apart.
  @inline(__always)
  private static func columnTransform(_ d: (Lane, Lane, Lane, Lane), _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
    store(d.0 - d.2, out)
    store(d.1 + d.2, out + stride)
    store(d.2 - d.1, out + 2 * stride)
    store(d.1 - d.3, out + 3 * stride)
  }

  /// Splits each zero-padded channel (one row and column of zeros around it) by row and column
  /// parity into the tiles' layout: array (rp, cp) holds padded[2r + rp][2k + cp] of channel ci at
  /// ci·plane + r·columns + k, and its shifted twin padded[2r + rp][2k + 2 + cp] there.
  private static func splitPadded(_ image: UnsafePointer<Float>, channels c: Int, _ t: Tiling,
                                  into split: UnsafeMutablePointer<Float>, stride: Int) {
    split.initialize(repeating: 0, count: 8 * stride)
    let w = t.columns
    for ci in 0..<c {
      for h in 0..<t.height {
        // Padded row h + 1 (odd rows: arrays 4…7); padded column x + 1 is odd for even x (cp = 1,
        // k = x / 2) and even for odd x (cp = 0, k = (x + 1) / 2); the shifted twin sits at k − 1.
        let src = image + (ci * t.height + h) * t.width
        let even = split + 4 * ((h + 1) % 2) * stride + ci * t.plane + (h + 1) / 2 * w
        let odd = even + stride, evenShifted = odd + stride, oddShifted = evenShifted + stride
        for k in 0..<(t.width + 1) / 2 { odd[k] = src[2 * k] }
        for k in 1..<(t.width + 1) / 2 { oddShifted[k - 1] = src[2 * k] }
        for k in 0..<t.width / 2 {
          if k + 1 < w { even[k + 1] = src[2 * k + 1] }
          evenShifted[k] = src[2 * k + 1]
        }
      }
    }
  }

  /// Y = Aᵀ M A for every tile, written into [images, O, H, W] (spare tiles and the far row or
  /// column of an odd side dropped).
  static func transformOutputs(_ m: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling,
                               scratch: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    let tiles = images * t.tiles, h = t.height, w = t.width, s = oc * tiles, lanes = t.lanes
    let corners = (scratch, scratch + lanes, scratch + 2 * lanes, scratch + 3 * lanes)
    for i in 0..<images {
      for o in 0..<oc {
        let p = m + o * tiles + i * t.tiles  // position ξ of tile q at p[ξ·s + q]
        for q in Swift.stride(from: 0, to: t.tiles, by: Lane.scalarCount) {
          let a = p + q
          // Aᵀ down the columns: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows of the 4×4), then along each.
          let m1 = (load(a + 4 * s), load(a + 5 * s), load(a + 6 * s), load(a + 7 * s))
          let m2 = (load(a + 8 * s), load(a + 9 * s), load(a + 10 * s), load(a + 11 * s))
          let top = (load(a) + m1.0 + m2.0, load(a + s) + m1.1 + m2.1, load(a + 2 * s) + m1.2 + m2.2, load(a + 3 * s) + m1.3 + m2.3)
          let bottom = (m1.0 - m2.0 - load(a + 12 * s), m1.1 - m2.1 - load(a + 13 * s),
                        m1.2 - m2.2 - load(a + 14 * s), m1.3 - m2.3 - load(a + 15 * s))
          store(top.0 + top.1 + top.2, corners.0 + q)
          store(top.1 - top.2 - top.3, corners.1 + q)
          store(bottom.0 + bottom.1 + bottom.2, corners.2 + q)
          store(bottom.1 - bottom.2 - bottom.3, corners.3 + q)
        }
        let out = y + (i * oc + o) * h * w
        for r in 0..<t.rows {
          let row = out + 2 * r * w, next = row + w, tile = r * t.columns
          for k in 0..<w / 2 {
            row[2 * k] = corners.0[tile + k]
            row[2 * k + 1] = corners.1[tile + k]
          }
          if w % 2 == 1 { row[w - 1] = corners.0[tile + w / 2] }
          guard 2 * r + 1 < h else { continue }
          for k in 0..<w / 2 {
            next[2 * k] = corners.2[tile + k]
            next[2 * k + 1] = corners.3[tile + k]
          }
          if w % 2 == 1 { next[w - 1] = corners.2[tile + w / 2] }
        }
      }
    }
  }

  // MARK: Weight gradient

  /// dW += the weight gradient of `convolve` for input x and output gradient dy. Each worker sums
  /// its images' dU into a private buffer; the buffers are added in worker order (deterministic).
  static func accumulateWeightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                                       outChannels oc: Int, into dw: UnsafeMutablePointer<Float>) {
    let t = Tiling(g), c = g.channels, nb = chunkSize(t, channels: c, outChannels: oc, batch: n)
    let workers = Threads.workers(for: n)
    let partial = (0..<workers).map { Scratch.shared.buffer(6, worker: $0, count: 16 * oc * c) }
    Threads.splitWork(n) { worker, images in
      let v = Scratch.shared.buffer(3, worker: worker, count: 16 * c * (nb * t.tiles + Lane.scalarCount))
      let dm = Scratch.shared.buffer(4, worker: worker, count: 16 * oc * (nb * t.tiles + Lane.scalarCount))
      let split = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize(channels: c))
      var beta: Float = 0
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        let ldv = tiles + Lane.scalarCount
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v, rowStride: ldv)
        transformOutputGradients(dy + start * oc * g.height * g.width, images: b, outChannels: oc, t, scratch: split, into: dm, rowStride: ldv)
        for p in 0..<16 {
          BLAS.gemm(transposeB: true, m: oc, n: c, k: tiles, a: dm + p * oc * ldv, lda: ldv, b: v + p * c * ldv, ldb: ldv,
                    beta: beta, c: partial[worker] + p * oc * c, ldc: c)
        }
        beta = 1
      }
    }
    for worker in 1..<max(workers, 1) { for i in 0..<16 * oc * c { partial[0][i] += partial[worker][i] } }
    untransformWeights(partial[0], outChannels: oc, channels: c, into: dw)
  }

  /// dM = A dY Aᵀ for every tile: A·(y0, y1) = (y0, y0 + y1, y0 − y1, −y1), down then along;
  /// positions past an odd side count as zero. Laid out [16][O][rowStride] as the input transform's.
  static func transformOutputGradients(_ dy: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling,
                                       scratch: UnsafeMutablePointer<Float>, into dm: UnsafeMutablePointer<Float>, rowStride: Int) {
    let h = t.height, w = t.width, lanes = t.lanes, xs = oc * rowStride
    let corners = (scratch, scratch + lanes, scratch + 2 * lanes, scratch + 3 * lanes)
    for i in 0..<images {
      for o in 0..<oc {
        let plane = dy + (i * oc + o) * h * w
        scratch.initialize(repeating: 0, count: 4 * lanes)
        for r in 0..<t.rows {
          let row = plane + 2 * r * w, tile = r * t.columns
          for k in 0..<(w + 1) / 2 { corners.0[tile + k] = row[2 * k] }
          for k in 0..<w / 2 { corners.1[tile + k] = row[2 * k + 1] }
          guard 2 * r + 1 < h else { continue }
          for k in 0..<(w + 1) / 2 { corners.2[tile + k] = row[w + 2 * k] }
          for k in 0..<w / 2 { corners.3[tile + k] = row[w + 2 * k + 1] }
        }
        let out = dm + o * rowStride + i * t.tiles  // the last vector may spill, as in transformInputs
        for q in Swift.stride(from: 0, to: t.tiles, by: Lane.scalarCount) {
          let (y00, y01, y10, y11) = (load(corners.0 + q), load(corners.1 + q), load(corners.2 + q), load(corners.3 + q))
          expand(y00, y01, out + q, xs)
          expand(y00 + y10, y01 + y11, out + 4 * xs + q, xs)
          expand(y00 - y10, y01 - y11, out + 8 * xs + q, xs)
          expand(-y10, -y11, out + 12 * xs + q, xs)
        }
      }
    }
  }

  /// A·(c0, c1) along a row: c0, c0 + c1, c0 − c1, −c1, stored `stride` apart.
  @inline(__always)
  private static func expand(_ c0: Lane, _ c1: Lane, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
    store(c0, out)
    store(c0 + c1, out + stride)
    store(c0 - c1, out + 2 * stride)
    store(-c1, out + 3 * stride)
  }

  /// dW[o, c] += Gᵀ dU G: Gᵀ·(u0, u1, u2, u3) = (u0 + ½u1 + ½u2, ½u1 − ½u2, ½u1 + ½u2 + u3).
  static func untransformWeights(_ du: UnsafePointer<Float>, outChannels oc: Int, channels c: Int, into dw: UnsafeMutablePointer<Float>) {
    let s = oc * c
    Threads.parallelFor(oc) { o in
      for ci in 0..<c {
        let u = du + o * c + ci, out = dw + (o * c + ci) * 9
        for j in 0..<3 {
          // Column j of dU·G for each of the four rows, then Gᵀ down the column.
          var q = (Float(0), Float(0), Float(0), Float(0))
          withUnsafeMutableBytes(of: &q) { raw in
            let col = raw.bindMemory(to: Float.self)
            for a in 0..<4 {
              let (u0, u1, u2, u3) = (u[(4 * a) * s], u[(4 * a + 1) * s], u[(4 * a + 2) * s], u[(4 * a + 3) * s])
              col[a] = j == 0 ? u0 + 0.5 * (u1 + u2) : j == 1 ? 0.5 * (u1 - u2) : 0.5 * (u1 + u2) + u3
            }
            out[j] += col[0] + 0.5 * (col[1] + col[2])
            out[3 + j] += 0.5 * (col[1] - col[2])
            out[6 + j] += 0.5 * (col[1] + col[2]) + col[3]
          }
        }
      }
    }
  }
}
