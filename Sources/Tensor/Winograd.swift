// Winograd: 3×3 stride-1 padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin &
// Gray, 2016), forward and weight gradient; the input gradient of such a layer is itself one (the
// flipped kernel, see Conv2D), so all three passes of ResNet's 3×3 layers go through here.
//
// Each 2×2 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input patch d around it: the 16
// products become 16 sgemms of depth C over all tiles, 16·O·C·(H·W/4) multiply-adds instead of
// im2col's 9·O·C·H·W (2.25× fewer). The weight gradient is that map's adjoint: dU = dM·Vᵀ per
// transformed position, dM = A dY Aᵀ, dg = Gᵀ dU G. The transforms run along whole rows (even and
// odd columns split), so the compiler vectorises them.
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]

import Foundation

enum Winograd {
  static func applies(_ g: ConvGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
  }

  /// The tiling of one image plane: tiles of 2×2 outputs, and the zero-padded input they read.
  struct Tiling {
    let height: Int, width: Int, rows: Int, columns: Int
    init(_ g: ConvGeometry) {
      height = g.height; width = g.width
      rows = (g.height + 1) / 2; columns = (g.width + 1) / 2
    }
    var tiles: Int { rows * columns }
    /// Padded input rows (2·rows + 2), each split into even and odd columns of `half` entries.
    var paddedRows: Int { 2 * rows + 2 }
    var half: Int { columns + 1 }
  }

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
    defer { u.deallocate() }
    Threads.splitWork(n) { worker, images in
      let v = Scratch.shared.buffer(3, worker: worker, count: 16 * c * nb * t.tiles)
      let m = Scratch.shared.buffer(4, worker: worker, count: 16 * oc * nb * t.tiles)
      let split = Scratch.shared.buffer(5, worker: worker, count: 2 * t.paddedRows * t.half)
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v)
        for p in 0..<16 {
          BLAS.gemm(m: oc, n: tiles, k: c, a: u + p * oc * c, lda: c, b: v + p * c * tiles, ldb: tiles, c: m + p * oc * tiles, ldc: tiles)
        }
        transformOutputs(m, images: b, outChannels: oc, t, into: y + start * oc * g.height * g.width)
      }
    }
  }

  /// U = G g Gᵀ for every (o, c), laid out [16][O][C].
  static func transformWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, channels c: Int) -> UnsafeMutablePointer<Float> {
    let u = UnsafeMutablePointer<Float>.allocate(capacity: 16 * oc * c), s = oc * c
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
    let tiles = images * t.tiles, half = t.half, plane = t.height * t.width, stride = c * tiles
    let even = split, odd = split + t.paddedRows * half
    for i in 0..<images {
      for ci in 0..<c {
        splitPadded(x + (i * c + ci) * plane, t, even: even, odd: odd)
        for r in 0..<t.rows {
          let out = v + ci * tiles + i * t.tiles + r * t.columns
          let e = UnsafePointer(even + 2 * r * half), o = UnsafePointer(odd + 2 * r * half)
          // Bᵀ rows across the padded rows 2r…2r+3: (1, 0, −1, 0), (0, 1, 1, 0), (0, −1, 1, 0), (0, 1, 0, −1).
          columnTransform(e, o, half, 0, 2, 1, -1, columns: t.columns, out, stride)
          columnTransform(e, o, half, 1, 2, 1, 1, columns: t.columns, out + 4 * stride, stride)
          columnTransform(e, o, half, 2, 1, 1, -1, columns: t.columns, out + 8 * stride, stride)
          columnTransform(e, o, half, 1, 3, 1, -1, columns: t.columns, out + 12 * stride, stride)
        }
      }
    }
  }

  /// One row of Bᵀ d (rows i and j of the four, signed) and then Bᵀ across the columns of each
  /// tile: tile k reads padded columns 2k…2k+3 = even[k], odd[k], even[k+1], odd[k+1].
  @inline(__always)
  private static func columnTransform(_ e: UnsafePointer<Float>, _ o: UnsafePointer<Float>, _ half: Int, _ i: Int, _ j: Int,
                                      _ si: Float, _ sj: Float, columns: Int, _ out: UnsafeMutablePointer<Float>, _ stride: Int) {
    let ei = e + i * half, ej = e + j * half, oi = o + i * half, oj = o + j * half
    let v0 = out, v1 = out + stride, v2 = out + 2 * stride, v3 = out + 3 * stride
    for k in 0..<columns {
      let e0 = si * ei[k] + sj * ej[k], o0 = si * oi[k] + sj * oj[k]
      let e1 = si * ei[k + 1] + sj * ej[k + 1], o1 = si * oi[k + 1] + sj * oj[k + 1]
      v0[k] = e0 - e1
      v1[k] = o0 + e1
      v2[k] = e1 - o0
      v3[k] = o0 - o1
    }
  }

  /// The plane with one row and column of zeros around it (and one more at the far end for an odd
  /// side), its columns split: even[r][k] = padded[r][2k], odd[r][k] = padded[r][2k + 1].
  private static func splitPadded(_ plane: UnsafePointer<Float>, _ t: Tiling, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>) {
    let half = t.half
    even.initialize(repeating: 0, count: t.paddedRows * half)
    odd.initialize(repeating: 0, count: t.paddedRows * half)
    for h in 0..<t.height {
      let src = plane + h * t.width, e = even + (h + 1) * half, o = odd + (h + 1) * half
      // padded column j = w + 1: odd j (even w) goes to odd[w / 2], even j (odd w) to even[(w + 1) / 2].
      for k in 0..<(t.width + 1) / 2 { o[k] = src[2 * k] }
      for k in 0..<t.width / 2 { e[k + 1] = src[2 * k + 1] }
    }
  }

  /// Y = Aᵀ M A for every tile, written into [images, O, H, W] (the far row or column of an odd side dropped).
  static func transformOutputs(_ m: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling, into y: UnsafeMutablePointer<Float>) {
    let tiles = images * t.tiles, h = t.height, w = t.width, s = oc * tiles
    for i in 0..<images {
      for o in 0..<oc {
        let out = y + (i * oc + o) * h * w
        for r in 0..<t.rows {
          let p = m + o * tiles + i * t.tiles + r * t.columns  // position ξ of tile k at p[ξ·s + k]
          let top = out + 2 * r * w, hasBottom = 2 * r + 1 < h, bottom = out + (hasBottom ? 2 * r + 1 : 2 * r) * w
          let full = w / 2  // tiles whose two columns are both inside
          for k in 0..<t.columns {
            // Aᵀ across rows: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows of the 4×4), for each column.
            let s00 = p[k] + p[4 * s + k] + p[8 * s + k], s01 = p[s + k] + p[5 * s + k] + p[9 * s + k]
            let s02 = p[2 * s + k] + p[6 * s + k] + p[10 * s + k], s03 = p[3 * s + k] + p[7 * s + k] + p[11 * s + k]
            let s10 = p[4 * s + k] - p[8 * s + k] - p[12 * s + k], s11 = p[5 * s + k] - p[9 * s + k] - p[13 * s + k]
            let s12 = p[6 * s + k] - p[10 * s + k] - p[14 * s + k], s13 = p[7 * s + k] - p[11 * s + k] - p[15 * s + k]
            // The bottom row of a tile past an odd height is written to the top row first, then overwritten.
            bottom[2 * k] = s10 + s11 + s12
            top[2 * k] = s00 + s01 + s02
            if k < full {
              bottom[2 * k + 1] = s11 - s12 - s13
              top[2 * k + 1] = s01 - s02 - s03
            }
          }
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
      let split = Scratch.shared.buffer(5, worker: worker, count: 2 * t.paddedRows * t.half)
      var beta: Float = 0
      for start in Swift.stride(from: images.lowerBound, to: images.upperBound, by: nb) {
        let b = min(nb, images.upperBound - start), tiles = b * t.tiles
        transformInputs(x + start * g.imageSize, images: b, channels: c, t, split: split, into: v)
        transformOutputGradients(dy + start * oc * g.height * g.width, images: b, outChannels: oc, t, into: dm)
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

  /// dM = A dY Aᵀ for every tile: A·(y0, y1) = (y0, y0 + y1, y0 − y1, −y1), rows then columns.
  static func transformOutputGradients(_ dy: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling,
                                       into dm: UnsafeMutablePointer<Float>) {
    let tiles = images * t.tiles, h = t.height, w = t.width, s = oc * tiles
    for i in 0..<images {
      for o in 0..<oc {
        let plane = dy + (i * oc + o) * h * w
        for r in 0..<t.rows {
          let p = dm + o * tiles + i * t.tiles + r * t.columns
          let top = plane + 2 * r * w, hasBottom = 2 * r + 1 < h, bottom = plane + (hasBottom ? 2 * r + 1 : 2 * r) * w
          let keepBottom: Float = hasBottom ? 1 : 0
          for k in 0..<t.columns {
            let right = 2 * k + 1 < w
            let a0 = top[2 * k], a1 = right ? top[2 * k + 1] : 0
            let b0 = keepBottom * bottom[2 * k], b1 = right ? keepBottom * bottom[2 * k + 1] : 0
            store(a0, a1, p + k, s)
            store(a0 + b0, a1 + b1, p + 4 * s + k, s)
            store(a0 - b0, a1 - b1, p + 8 * s + k, s)
            store(-b0, -b1, p + 12 * s + k, s)
          }
        }
      }
    }
  }

  @inline(__always)
  private static func store(_ c0: Float, _ c1: Float, _ p: UnsafeMutablePointer<Float>, _ s: Int) {
    p[0] = c0
    p[s] = c0 + c1
    p[2 * s] = c0 - c1
    p[3 * s] = -c1
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
