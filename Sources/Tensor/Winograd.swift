// Winograd: 3×3 stride-1 padding-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin &
// Gray, 2016), forward and weight gradient; the input gradient of such a layer is itself one (the
// flipped kernel, see Conv2D), so all three passes of ResNet's 3×3 layers go through here.
//
// Each 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for the 6×6 input patch d around it: 36 products
// per 16 outputs, so 36 sgemms of depth C over all tiles do 36·O·C·(H·W/16) multiply-adds, 4× fewer
// than im2col's 9·O·C·H·W (F(2×2, 3×3) does 2.25× fewer and transforms 1.8× more values per output).
// The weight gradient is that map's adjoint: dU = dM·Vᵀ per position, dM = A dY Aᵀ, dg = Gᵀ dU G.
//
// A chunk of images goes through three phases, each spread over the workers: the input transforms
// (by channel), the 36 sgemms (by position, so that each worker packs only its own positions'
// weights and every product spans all tiles of the chunk: the 4×4 maps of a 128² image's last
// layers have one tile per image), and the output transforms (by output channel). Wide layers
// transform their weights a block of output channels at a time, so that they stay in cache.
//
// The transforms are 16-lane vector code over the tiles. A plane of 16 tiles or more is split by
// row and column mod 4, so that every tile's 36 inputs sit at fixed offsets of its index; smaller
// planes (one tile per image of a 4×4 map) have their patches gathered in blocks of images, so that
// the vectors span images. Outputs are transformed into rows of corners over the chunk's tiles,
// then scattered.
//
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]

import Foundation
import Platform

enum Winograd {
  static func applies(_ g: ConvGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
  }

  /// Positions of a transformed 6×6 tile: one sgemm each.
  static let positions = 36

  typealias Lane = SIMD16<Float>
  static let lane = Lane.scalarCount
  @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }
  @inline(__always) static func store(_ v: Lane, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

  /// The tiling of one image plane: `rows` × `columns` tiles of 4×4 outputs.
  struct Tiling {
    let height: Int, width: Int, rows: Int, columns: Int
    init(_ g: ConvGeometry) {
      height = g.height; width = g.width
      rows = (g.height + 3) / 4; columns = (g.width + 3) / 4
    }
    var tiles: Int { rows * columns }
    /// Images whose patches are gathered and transformed together: 64 tiles or more.
    func imagesPerBlock(_ images: Int) -> Int { max(1, min(images, 64 / tiles)) }
    /// Floats between two positions' rows of gathered patches.
    func patchStride(_ images: Int) -> Int { whole(imagesPerBlock(images) * tiles) + lane }
    /// Floats of one split array: the tiles' rows and one more, and room for the last vector's reads.
    var splitPlane: Int { (rows + 1) * columns + lane }
    /// Per-worker scratch: the split arrays of an image, the gathered patches of a block, or 16
    /// rows of corners over the tiles of `images` images; and 36 vectors of partial sums.
    func scratchSize(images: Int) -> Int {
      max(24 * splitPlane, positions * patchStride(images) + paddedSize, 16 * whole(images * tiles)) + positions * lane
    }
    /// A plane in a zero border reaching the last tiles' patches.
    var paddedWidth: Int { 4 * columns + 2 }
    var paddedSize: Int { (4 * rows + 2) * paddedWidth }
  }

  /// n rounded up to whole vectors.
  static func whole(_ n: Int) -> Int { (n + lane - 1) / lane * lane }

  /// Images per chunk: the transformed inputs (or outputs) of a chunk stay within twice the
  /// column budget, in the shared cache while the sgemms read them.
  static func chunkSize(_ t: Tiling, channels: Int, outChannels: Int, batch: Int) -> Int {
    max(1, min(batch, 2 * Conv2D.columnBudget / max(1, positions * max(channels, outChannels) * t.tiles)))
  }

  // MARK: Forward

  /// y = W ⋆ x for 3×3 stride-1 padding-1 weights [O, C, 3, 3] over a batch [N, C, H, W], then
  /// `affine` if given.
  static func convolve(_ x: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry, weights: UnsafePointer<Float>,
                       outChannels oc: Int, into y: UnsafeMutablePointer<Float>, then affine: ChannelAffine? = nil) {
    let t = Tiling(g), c = g.channels, nb = chunkSize(t, channels: c, outChannels: oc, batch: n)
    // Blocks only for a batch of one chunk: the blocks' transforms would be repeated for every chunk.
    let block = nb < n ? oc : outputBlock(outChannels: oc, channels: c), most = nb * t.tiles + lane
    let v = Scratch.shared.buffer(3, count: positions * c * most), m = Scratch.shared.buffer(4, count: positions * oc * most)
    let u = Scratch.shared.buffer(7, count: positions * block * c + lane)
    if block == oc { transformWeights(weights, outChannels: oc, channels: c, into: u) }
    for start in stride(from: 0, to: n, by: nb) {
      let b = min(nb, n - start), tiles = b * t.tiles, ld = tiles + lane
      transformInputs(x + start * g.imageSize, images: b, channels: c, t, into: v, rowStride: ld)
      for first in stride(from: 0, to: oc, by: block) {
        let rows = min(block, oc - first)
        if block < oc { transformWeights(weights + first * c * 9, outChannels: rows, channels: c, into: u) }
        Threads.splitWork(positions) { _, range in
          for p in range {
            BLAS.gemm(m: rows, n: tiles, k: c, a: u + p * rows * c, lda: c, b: v + p * c * ld, ldb: ld,
                      c: m + (p * oc + first) * ld, ldc: ld)
          }
        }
      }
      transformOutputs(m, images: b, outChannels: oc, t, rowStride: ld, into: y + start * oc * g.height * g.width, then: affine)
    }
  }

  /// Output channels whose transformed weights are made and used at a time: all of them when
  /// they fit in the column budget, else a block that does, so that sgemm packs them from cache
  /// (a 512-channel layer's 36 × 512² would otherwise go to memory and back every pass).
  static func outputBlock(outChannels oc: Int, channels c: Int) -> Int {
    let fits = Conv2D.columnBudget / max(1, positions * c)
    return fits >= oc ? oc : max(lane, fits / lane * lane)
  }

  /// U = G g Gᵀ for every (o, c), laid out [36][O][C]: 16 input channels at a time, their nine
  /// weights first gathered into vectors.
  static func transformWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, channels c: Int, into u: UnsafeMutablePointer<Float>) {
    let s = oc * c
    Threads.parallelFor(oc) { o in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 27 * lane) { buffer in
        let partial = buffer.baseAddress!, weights = partial + 18 * lane
        for start in stride(from: 0, to: c, by: lane) {
          let count = min(lane, c - start), from = w + (o * c + start) * 9
          for l in 0..<count { for j in 0..<9 { weights[j * lane + l] = from[l * 9 + j] } }  // [16][9] → [9][16]
          for j in 0..<3 {  // G down each column j, into row a of [6][3]…
            store(filterTransform(load3(weights + j * lane, stride: 3 * lane)), partial + j * lane, stride: 3 * lane)
          }
          for a in 0..<6 {  // …then G along each row.
            store(filterTransform(load3(partial + 3 * a * lane, stride: lane)), u + 6 * a * s + o * c + start, stride: s, count: count)
          }
        }
      }
    }
  }

  /// V = Bᵀ d B for every tile of every channel, laid out [36][C][rowStride] (image after image in
  /// a row), channels spread over the workers. An image with a vector of tiles or more is split
  /// into rows and columns mod 4 (`splitPadded`), whose arrays hold its patches at fixed offsets:
  /// half the writes of gathering the patches. Smaller maps are gathered in blocks of images of 64
  /// tiles or more, so that the vectors are full.
  static func transformInputs(_ x: UnsafePointer<Float>, images: Int, channels c: Int, _ t: Tiling,
                              into v: UnsafeMutablePointer<Float>, rowStride: Int) {
    let xs = c * rowStride, plane = t.height * t.width
    Threads.splitWork(c) { worker, channels in
      let scratch = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize(images: images))
      for ci in channels {
        let row = v + ci * rowStride
        if t.tiles >= lane {
          for i in 0..<images { transformSplit(x + (i * c + ci) * plane, t, scratch: scratch, into: row + i * t.tiles, positionStride: xs) }
        } else {
          transformGathered(x + ci * plane, images: images, imageStride: c * plane, t, scratch: scratch, into: row, positionStride: xs)
        }
      }
    }
  }

  /// The input transform of one channel of one image. Its last vector may write up to 15 floats
  /// past the image's tiles: into the next image's, which the same worker writes later, or into
  /// the row's slack.
  private static func transformSplit(_ image: UnsafePointer<Float>, _ t: Tiling, scratch: UnsafeMutablePointer<Float>,
                                     into out: UnsafeMutablePointer<Float>, positionStride xs: Int) {
    splitPadded(image, t, into: scratch)
    let plane = t.splitPlane, w = t.columns, partial = scratch + 24 * plane
    for q in stride(from: 0, to: t.tiles, by: lane) {
      for b in 0..<6 {  // d[a][b] is split array (a mod 4, b) at q + (a / 4)·columns; Bᵀ down each column…
        let s = UnsafePointer(scratch + b * plane + q)
        let d = (load(s), load(s + 6 * plane), load(s + 12 * plane), load(s + 18 * plane), load(s + w), load(s + 6 * plane + w))
        store(inputTransform(d), partial + b * lane, stride: 6 * lane)
      }
      for a in 0..<6 {  // …then along each row.
        store(inputTransform(load6(partial + 6 * a * lane, stride: lane)), out + q + 6 * a * xs, stride: xs)
      }
    }
  }

  /// Splits a zero-padded channel (one row and column of zeros around it) into 24 arrays: (ρ, b)
  /// holds padded[4r + ρ][4k + b] at r·columns + k, for ρ < 4 and b < 6.
  private static func splitPadded(_ image: UnsafePointer<Float>, _ t: Tiling, into split: UnsafeMutablePointer<Float>) {
    split.initialize(repeating: 0, count: 24 * t.splitPlane)
    for h in 0..<t.height {
      let padded = h + 1, src = image + h * t.width
      let row = split + (padded % 4) * 6 * t.splitPlane + padded / 4 * t.columns
      for b in 0..<6 {  // padded column 4k + b is image column 4k + b − 1
        let dst = row + b * t.splitPlane
        let first = b == 0 ? 1 : 0, end = min(t.columns, (t.width + 4 - b) / 4)
        if first < end { for k in first..<end { dst[k] = src[4 * k + b - 1] } }
      }
    }
  }

  /// The input transform of one channel of all images, gathered and transformed a block at a time.
  private static func transformGathered(_ x: UnsafePointer<Float>, images: Int, imageStride: Int, _ t: Tiling,
                                        scratch patches: UnsafeMutablePointer<Float>, into row: UnsafeMutablePointer<Float>,
                                        positionStride xs: Int) {
    let block = t.imagesPerBlock(images), ps = t.patchStride(images)
    let partial = patches + positions * ps, padded = partial + positions * lane
    for first in stride(from: 0, to: images, by: block) {
      let count = min(block, images - first), out = row + first * t.tiles
      for j in 0..<count {
        gatherPatches(x + (first + j) * imageStride, t, padded: padded, into: patches + j * t.tiles, positionStride: ps)
      }
      // The last vector may write up to 15 floats past the block: into the next block's tiles,
      // written later by this worker, or into the row's slack.
      for q in stride(from: 0, to: count * t.tiles, by: lane) {
        for b in 0..<6 {  // Bᵀ down each column of the patches, then along each row
          store(inputTransform(load6(patches + q + b * ps, stride: 6 * ps)), partial + b * lane, stride: 6 * lane)
        }
        for a in 0..<6 {
          store(inputTransform(load6(partial + 6 * a * lane, stride: lane)), out + q + 6 * a * xs, stride: xs)
        }
      }
    }
  }

  /// d[a][b] of tile (r, k), the zero-padded plane at (4r + a − 1, 4k + b − 1), to out[(6a + b)·xs + r·columns + k]:
  /// the plane is first copied into a zero border as wide as the tiles reach, so that every patch
  /// is six runs of six floats.
  private static func gatherPatches(_ plane: UnsafePointer<Float>, _ t: Tiling, padded: UnsafeMutablePointer<Float>,
                                    into out: UnsafeMutablePointer<Float>, positionStride xs: Int) {
    let pw = t.paddedWidth
    padded.initialize(repeating: 0, count: t.paddedSize)
    for y in 0..<t.height { (padded + (y + 1) * pw + 1).update(from: plane + y * t.width, count: t.width) }
    for r in 0..<t.rows {
      for k in 0..<t.columns {
        let patch = padded + 4 * r * pw + 4 * k, dst = out + r * t.columns + k
        for a in 0..<6 { for b in 0..<6 { dst[(6 * a + b) * xs] = patch[a * pw + b] } }
      }
    }
  }

  /// Y = Aᵀ M A for every tile, written into [images, O, H, W] (the spare rows and columns of the
  /// last tiles dropped) through `affine`, output channels spread over the workers, 16 tiles at a
  /// time across the images.
  static func transformOutputs(_ m: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling, rowStride: Int,
                               into y: UnsafeMutablePointer<Float>, then affine: ChannelAffine?) {
    let xs = oc * rowStride, tiles = images * t.tiles, lanes = whole(tiles), plane = t.height * t.width
    Threads.splitWork(oc) { worker, channels in
      let corners = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize(images: images)), partial = corners + 16 * lanes
      for o in channels {
        let p = m + o * rowStride
        for q in stride(from: 0, to: tiles, by: lane) {
          for b in 0..<6 {  // Aᵀ down each column, then along each of the four rows
            store(outputTransform(load6(p + q + b * xs, stride: 6 * xs)), partial + b * lane, stride: 6 * lane)
          }
          for k in 0..<4 {
            store(outputTransform(load6(partial + 6 * k * lane, stride: lane)), corners + 4 * k * lanes + q, stride: lanes)
          }
        }
        let map = affine.map { ($0.scale[o], $0.shift[o], $0.floor) } ?? (1, 0, -.infinity)
        for i in 0..<images { scatter(corners + i * t.tiles, rowStride: lanes, t, through: map, into: y + (i * oc + o) * plane) }
      }
    }
  }

  /// Output (4r + k, 4col + j) of the plane is corner row 4k + j at tile r·columns + col, mapped by
  /// (scale, shift, floor) as `ChannelAffine` does.
  private static func scatter(_ corners: UnsafePointer<Float>, rowStride lanes: Int, _ t: Tiling,
                              through map: (Float, Float, Float), into plane: UnsafeMutablePointer<Float>) {
    let (s, shift, f) = map
    forEachTile(t) { tile, at, height, width in
      if height == 4 && width == 4 {
        for k in 0..<4 { for j in 0..<4 {
          plane[at + k * t.width + j] = ChannelAffine.map(corners[(4 * k + j) * lanes + tile], s, shift, f)
        } }
      } else {
        for k in 0..<height { for j in 0..<width {
          plane[at + k * t.width + j] = ChannelAffine.map(corners[(4 * k + j) * lanes + tile], s, shift, f)
        } }
      }
    }
  }

  /// The inverse of `scatter` (positions past the plane are left as they are: zero).
  private static func gather(_ plane: UnsafePointer<Float>, _ t: Tiling, into corners: UnsafeMutablePointer<Float>, rowStride lanes: Int) {
    forEachTile(t) { tile, at, height, width in
      if height == 4 && width == 4 {
        for k in 0..<4 { for j in 0..<4 { corners[(4 * k + j) * lanes + tile] = plane[at + k * t.width + j] } }
      } else {
        for k in 0..<height { for j in 0..<width { corners[(4 * k + j) * lanes + tile] = plane[at + k * t.width + j] } }
      }
    }
  }

  /// body(tile, offset of its first output in the plane, its rows and columns within the plane).
  @inline(__always)
  private static func forEachTile(_ t: Tiling, _ body: (Int, Int, Int, Int) -> Void) {
    for r in 0..<t.rows {
      for col in 0..<t.columns {
        body(r * t.columns + col, 4 * r * t.width + 4 * col, min(4, t.height - 4 * r), min(4, t.width - 4 * col))
      }
    }
  }

  // MARK: Weight gradient

  /// dW += the weight gradient of `convolve` for input x and output gradient dy. Each position's
  /// dU is summed over the chunks by the one worker that owns it, in chunk order (deterministic).
  static func accumulateWeightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch n: Int, _ g: ConvGeometry,
                                       outChannels oc: Int, into dw: UnsafeMutablePointer<Float>) {
    let t = Tiling(g), c = g.channels, nb = chunkSize(t, channels: c, outChannels: oc, batch: n)
    let most = nb * t.tiles + lane
    let v = Scratch.shared.buffer(3, count: positions * c * most), dm = Scratch.shared.buffer(4, count: positions * oc * most)
    let du = Scratch.shared.buffer(6, count: positions * oc * c + lane)
    for start in stride(from: 0, to: n, by: nb) {
      let b = min(nb, n - start), tiles = b * t.tiles, ld = tiles + lane
      transformInputs(x + start * g.imageSize, images: b, channels: c, t, into: v, rowStride: ld)
      transformOutputGradients(dy + start * oc * g.height * g.width, images: b, outChannels: oc, t, into: dm, rowStride: ld)
      Threads.splitWork(positions) { _, range in
        for p in range {
          BLAS.gemm(transposeB: true, m: oc, n: c, k: tiles, a: dm + p * oc * ld, lda: ld, b: v + p * c * ld, ldb: ld,
                    beta: start == 0 ? 0 : 1, c: du + p * oc * c, ldc: c)
        }
      }
    }
    untransformWeights(du, outChannels: oc, channels: c, into: dw)
  }

  /// dM = A dY Aᵀ for every tile, laid out [36][O][rowStride] as the input transform's; positions
  /// past an odd side count as zero.
  static func transformOutputGradients(_ dy: UnsafePointer<Float>, images: Int, outChannels oc: Int, _ t: Tiling,
                                       into dm: UnsafeMutablePointer<Float>, rowStride: Int) {
    let xs = oc * rowStride, tiles = images * t.tiles, lanes = whole(tiles), plane = t.height * t.width
    Threads.splitWork(oc) { worker, channels in
      let corners = Scratch.shared.buffer(5, worker: worker, count: t.scratchSize(images: images)), partial = corners + 16 * lanes
      for o in channels {
        corners.initialize(repeating: 0, count: 16 * lanes)
        for i in 0..<images { gather(dy + (i * oc + o) * plane, t, into: corners + i * t.tiles, rowStride: lanes) }
        let out = dm + o * rowStride
        for q in stride(from: 0, to: tiles, by: lane) {
          for k in 0..<4 {  // A along each of the four rows, then down each of the six columns
            store(gradientTransform(load4(corners + 4 * k * lanes + q, stride: lanes)), partial + 6 * k * lane, stride: lane)
          }
          for b in 0..<6 {
            store(gradientTransform(load4(partial + b * lane, stride: 6 * lane)), out + q + b * xs, stride: 6 * xs)
          }
        }
      }
    }
  }

  /// dW[o, c] += Gᵀ dU G, 16 input channels at a time.
  static func untransformWeights(_ du: UnsafePointer<Float>, outChannels oc: Int, channels c: Int, into dw: UnsafeMutablePointer<Float>) {
    let s = oc * c
    Threads.parallelFor(oc) { o in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 27 * lane) { buffer in
        let partial = buffer.baseAddress!, result = partial + 18 * lane
        for start in stride(from: 0, to: c, by: lane) {
          let at = du + o * c + start
          for a in 0..<6 {  // Gᵀ along each of the six rows, into [6][3]…
            store(filterGradient(load6(at + 6 * a * s, stride: s)), partial + 3 * a * lane, stride: lane)
          }
          for j in 0..<3 {  // …then down each of the three columns, into [3][3].
            store(filterGradient(load6(partial + j * lane, stride: 3 * lane)), result + j * lane, stride: 3 * lane)
          }
          for l in 0..<min(lane, c - start) {
            let out = dw + (o * c + start + l) * 9
            for k in 0..<9 { out[k] += result[k * lane + l] }
          }
        }
      }
    }
  }

  // MARK: The transform matrices, applied to six (three, four) vectors

  typealias Three = (Lane, Lane, Lane)
  typealias Four = (Lane, Lane, Lane, Lane)
  typealias Six = (Lane, Lane, Lane, Lane, Lane, Lane)

  /// Bᵀ·d.
  @inline(__always)
  static func inputTransform(_ d: Six) -> Six {
    (4 * d.0 - 5 * d.2 + d.4, d.3 + d.4 - 4 * (d.1 + d.2), 4 * (d.1 - d.2) - d.3 + d.4,
     2 * (d.3 - d.1) - d.2 + d.4, 2 * (d.1 - d.3) - d.2 + d.4, 4 * d.1 - 5 * d.3 + d.5)
  }

  /// Aᵀ·m.
  @inline(__always)
  static func outputTransform(_ m: Six) -> Four {
    let (sum12, diff12, sum34, diff34) = (m.1 + m.2, m.1 - m.2, m.3 + m.4, m.3 - m.4)
    return (m.0 + sum12 + sum34, diff12 + 2 * diff34, sum12 + 4 * sum34, diff12 + 8 * diff34 + m.5)
  }

  /// A·c, the adjoint of `outputTransform`.
  @inline(__always)
  static func gradientTransform(_ c: Four) -> Six {
    let (even, odd, even4, odd2) = (c.0 + c.2, c.1 + c.3, c.0 + 4 * c.2, 2 * c.1 + 8 * c.3)
    return (c.0, even + odd, even - odd, even4 + odd2, even4 - odd2, c.3)
  }

  /// G·g (reciprocals multiplied: a vector division takes several times as long).
  @inline(__always)
  static func filterTransform(_ g: Three) -> Six {
    let outer = g.0 + g.2, (sixth, twelfth, twentyFourth): (Float, Float, Float) = (1.0 / 6, 1.0 / 12, 1.0 / 24)
    let even = twentyFourth * g.0 + sixth * g.2, odd = twelfth * g.1
    return (0.25 * g.0, -sixth * (outer + g.1), sixth * (g.1 - outer), even + odd, even - odd, g.2)
  }

  /// Gᵀ·u, the adjoint of `filterTransform`.
  @inline(__always)
  static func filterGradient(_ u: Six) -> Three {
    let (sum12, sum34) = (u.1 + u.2, u.3 + u.4), (sixth, twelfth, twentyFourth): (Float, Float, Float) = (1.0 / 6, 1.0 / 12, 1.0 / 24)
    return (0.25 * u.0 - sixth * sum12 + twentyFourth * sum34, sixth * (u.2 - u.1) + twelfth * (u.3 - u.4), sixth * (sum34 - sum12) + u.5)
  }

  // MARK: Vectors `stride` floats apart

  @inline(__always) static func load3(_ p: UnsafePointer<Float>, stride s: Int) -> Three { (load(p), load(p + s), load(p + 2 * s)) }
  @inline(__always) static func load4(_ p: UnsafePointer<Float>, stride s: Int) -> Four { (load(p), load(p + s), load(p + 2 * s), load(p + 3 * s)) }
  @inline(__always) static func load6(_ p: UnsafePointer<Float>, stride s: Int) -> Six {
    (load(p), load(p + s), load(p + 2 * s), load(p + 3 * s), load(p + 4 * s), load(p + 5 * s))
  }
  @inline(__always) static func store(_ v: Three, _ p: UnsafeMutablePointer<Float>, stride s: Int) {
    store(v.0, p); store(v.1, p + s); store(v.2, p + 2 * s)
  }
  @inline(__always) static func store(_ v: Four, _ p: UnsafeMutablePointer<Float>, stride s: Int) {
    store(v.0, p); store(v.1, p + s); store(v.2, p + 2 * s); store(v.3, p + 3 * s)
  }
  @inline(__always) static func store(_ v: Six, _ p: UnsafeMutablePointer<Float>, stride s: Int) {
    store(v.0, p); store(v.1, p + s); store(v.2, p + 2 * s); store(v.3, p + 3 * s); store(v.4, p + 4 * s); store(v.5, p + 5 * s)
  }
  /// The first `count` floats of each vector (all of them without spilling when count is 16).
  static func store(_ v: Six, _ p: UnsafeMutablePointer<Float>, stride s: Int, count: Int) {
    if count == lane { return store(v, p, stride: s) }
    for (i, x) in [v.0, v.1, v.2, v.3, v.4, v.5].enumerated() { for l in 0..<count { p[i * s + l] = x[l] } }
  }
}
