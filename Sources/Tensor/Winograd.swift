// Winograd: 3×3 stride-1 padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin &
// Gray, 2016), forward and weight gradient; the input gradient of such a layer is itself one (the
// flipped kernel, see Conv2D), so all three passes of ResNet's 3×3 layers go through here.
//
// Each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input patch d around it: the 16
// products become 16 sgemms of depth C over all tiles, 16·O·C·(H·W/4) multiply-adds instead of
// im2col's 9·O·C·H·W (2.25× fewer). The weight gradient is that map's adjoint: dU = dM·Vᵀ per
// transformed position, dM = A dY Aᵀ, dg = Gᵀ dU G.
//
// The input transform runs on a tile grid one column wider than needed: the padded input is split
// by row and column parity into four planes of that grid's shape, so the 16 inputs of every tile
// sit at fixed offsets and the transform is 16-lane vector code over all tiles of an image at once;
// the spare column is dropped when the tiles are stored. The output transforms are vector code over
// the stored tiles.
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]

import Foundation

enum Winograd {
  static func applies(_ g: ConvGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
  }

  /// The tiling of one image plane: `rows` × `columns` tiles of 2×2 outputs, transformed on a grid
  /// of `rows` × `half` (a spare column) and stored without the spare column.
  struct Tiling {
    let height: Int, width: Int, rows: Int, columns: Int
    init(_ g: ConvGeometry) {
      height = g.height; width = g.width
      rows = (g.height + 1) / 2; columns = (g.width + 1) / 2
    }
    var half: Int { columns + 1 }
    /// Tiles per image as stored and multiplied.
    var tiles: Int { rows * columns }
    /// Tiles per image on the transform grid, the spare column included.
    var grid: Int { rows * half }
    /// Floats of one parity plane of the padded input: (rows + 1) × half, plus a vector of slack.
    var planeSize: Int { (rows + 1) * half + Lane.scalarCount }
    /// Grid tiles rounded up to whole vectors.
    var lanes: Int { (grid + Lane.scalarCount - 1) / Lane.scalarCount * Lane.scalarCount }
    /// Per-worker scratch floats for one (image, channel): four parity planes and 16 rows of tiles.
    var scratchSize: Int { 4 * planeSize + 16 * lanes }
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
      let v = Scratch.shared.buffer(3, worker: worker, count: 16 * c * nb * t.tiles)
      let m = Scratch.shared.buffer(4, worker: worker, count: 16 * oc * nb * t.tiles + Lane.scalarCount)
      let split = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize)
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v)
        for p in 0..<16 {
          BLAS.gemm(m: oc, n: tiles, k: c, a: u + p * oc * c, lda: c, b: v + p * c * tiles, ldb: tiles, c: m + p * oc * tiles, ldc: tiles)
        }
        transformOutputs(m, images: b, outChannels: oc, t, scratch: split, into: y + start * oc * g.height * g.width)
      }
    }
  }

  /// U = G g Gᵀ for every (o, c), laid out [16][O][C].
  static func transformWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, channels c: Int) -> UnsafeMutablePointer<Float> {
    let u = StoragePool.shared.allocate(16 * oc * c), s = oc * c
    Threads.parallelFor(oc) { o in
      var gg = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
      for ci in 0..<c {
        let g = w + (o * c + ci) * 9
        withUnsafeMutableBytes(of: &gg) { raw in
          let rows = raw.bindMemory(to: Float.self)  // G g: 4 rows of 3
          for j in 0..<3 {
            let (g0, g1, g2) = (g[j], g[3 + j], g[6 + j])
            rows[j] = g0; rows[3 + j] = 0.5 * (g0 + g1 + g2); rows[6 + j] = 0.5 * (g0 - g1 + g2); rows[9 + j] = g2
          }
          let out = u + o * c + ci
          for a in 0..<4 {
            let (r0, r1, r2) = (rows[3 * a], rows[3 * a + 1], rows[3 * a + 2])
            out[(4 * a) * s] = r0
            out[(4 * a + 1) * s] = 0.5 * (r0 + r1 + r2)
            out[(4 * a + 2) * s] = 0.5 * (r0 - r1 + r2)
            out[(4 * a + 3) * s] = r2
          }
        }
      }
    }
    return u
  }

  /// V = Bᵀ d B for every tile of every channel of `images` images, laid out [16][C][tiles].
  static func transformInputs(_ x: UnsafePointer<Float>, images: Int, channels c: Int, _ t: Tiling,
                              split: UnsafeMutablePointer<Float>, into v: UnsafeMutablePointer<Float>) {
    let tiles = images * t.tiles, plane = t.height * t.width, half = t.half
    let parity = split, rows = split + 4 * t.planeSize
    for i in 0..<images {
      for ci in 0..<c {
        splitPadded(x + (i * c + ci) * plane, t, into: parity)
        // d[a][b] of tile q is parity plane (a % 2, b % 2) at q + (a / 2)·half + b / 2.
        let p00 = UnsafePointer(parity), p01 = p00 + t.planeSize, p10 = p01 + t.planeSize, p11 = p10 + t.planeSize
        for q in Swift.stride(from: 0, to: t.grid, by: Lane.scalarCount) {
          let r0 = (load(p00 + q), load(p01 + q), load(p00 + q + 1), load(p01 + q + 1))
          let r1 = (load(p10 + q), load(p11 + q), load(p10 + q + 1), load(p11 + q + 1))
          let r2 = (load(p00 + q + half), load(p01 + q + half), load(p00 + q + half + 1), load(p01 + q + half + 1))
          let r3 = (load(p10 + q + half), load(p11 + q + half), load(p10 + q + half + 1), load(p11 + q + half + 1))
          // Bᵀ down the columns: rows r0 − r2, r1 + r2, r2 − r1, r1 − r3; then Bᵀ along each.
          columnTransform((r0.0 - r2.0, r0.1 - r2.1, r0.2 - r2.2, r0.3 - r2.3), rows + q, t.lanes)
          columnTransform((r1.0 + r2.0, r1.1 + r2.1, r1.2 + r2.2, r1.3 + r2.3), rows + 4 * t.lanes + q, t.lanes)
          columnTransform((r2.0 - r1.0, r2.1 - r1.1, r2.2 - r1.2, r2.3 - r1.3), rows + 8 * t.lanes + q, t.lanes)
          columnTransform((r1.0 - r3.0, r1.1 - r3.1, r1.2 - r3.2, r1.3 - r3.3), rows + 12 * t.lanes + q, t.lanes)
        }
        for xi in 0..<16 {
          let dst = v + (xi * c + ci) * tiles + i * t.tiles, src = rows + xi * t.lanes
          // Rows are short (2 to 28 tiles): a loop, not a memmove call each.
          for r in 0..<t.rows { for k in 0..<t.columns { dst[r * t.columns + k] = src[r * half + k] } }
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

  /// Splits the zero-padded plane (one row and column of zeros around it) by row and column parity:
  /// plane (rp, cp) holds padded[2r + rp][2k + cp] at r·half + k.
  private static func splitPadded(_ plane: UnsafePointer<Float>, _ t: Tiling, into parity: UnsafeMutablePointer<Float>) {
    parity.initialize(repeating: 0, count: 4 * t.planeSize)
    let half = t.half
    for h in 0..<t.height {
      // Padded row h + 1; padded column w + 1 is odd for even w (plane cp = 1, k = w / 2), even for odd w (cp = 0, k = (w + 1) / 2).
      let src = plane + h * t.width, rp = (h + 1) % 2, base = parity + 2 * rp * t.planeSize + (h + 1) / 2 * half
      let odd = base + t.planeSize
      for k in 0..<(t.width + 1) / 2 { odd[k] = src[2 * k] }
      for k in 0..<t.width / 2 { base[k + 1] = src[2 * k + 1] }
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
      let v = Scratch.shared.buffer(3, worker: worker, count: 16 * c * nb * t.tiles)
      let dm = Scratch.shared.buffer(4, worker: worker, count: 16 * oc * nb * t.tiles)
      let split = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize)
      var beta: Float = 0
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v)
        transformOutputGradients(dy + start * oc * g.height * g.width, images: b, outChannels: oc, t, scratch: split, into: dm)
        for p in 0..<16 {
          BLAS.gemm(transposeB: true, m: oc, n: c, k: tiles, a: dm + p * oc * tiles, lda: tiles, b: v + p * c * tiles, ldb: tiles,
                    beta: beta, c: partial[worker] + p * oc * c, ldc: c)
        }
        beta = 1
      }
    }
    for worker in 1..<max(workers, 1) { for i in 0..<16 * oc * c { partial[0][i] += partial[worker][i] } }
    untransformWeights(partial[0], outChannels: oc, channels: c, into: dw)
  }

  /// dM = A dY Aᵀ for every tile: A·(y0, y1) = (y0, y0 + y1, y0 − y1, −y1), down then along.
  /// Spare tiles and positions past an odd side get zero.
  static func transformOutputGradients(_ dy: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling,
                                       scratch: UnsafeMutablePointer<Float>, into dm: UnsafeMutablePointer<Float>) {
    let tiles = images * t.tiles, h = t.height, w = t.width, lanes = t.lanes
    let corners = (scratch, scratch + lanes, scratch + 2 * lanes, scratch + 3 * lanes), rows = scratch + 4 * lanes
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
        for q in Swift.stride(from: 0, to: t.tiles, by: Lane.scalarCount) {
          let (y00, y01, y10, y11) = (load(corners.0 + q), load(corners.1 + q), load(corners.2 + q), load(corners.3 + q))
          expand(y00, y01, rows + q, lanes)
          expand(y00 + y10, y01 + y11, rows + 4 * lanes + q, lanes)
          expand(y00 - y10, y01 - y11, rows + 8 * lanes + q, lanes)
          expand(-y10, -y11, rows + 12 * lanes + q, lanes)
        }
        for xi in 0..<16 { (dm + (xi * oc + o) * tiles + i * t.tiles).update(from: rows + xi * lanes, count: t.tiles) }
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
