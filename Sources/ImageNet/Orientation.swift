// Orientation: how a training image is placed before the network sees it — mirrored left-right
// or not, then turned by a whole number of quarter turns anticlockwise. The eight placements are
// the symmetries of a square, so a square crop stays a square crop and no pixel is resampled.

import Tensor

public struct Orientation: Equatable, Sendable {
  public var mirrored: Bool
  /// Quarter turns anticlockwise, 0…3.
  public var quarterTurns: Int

  public static let upright = Orientation(mirrored: false, quarterTurns: 0)

  public init(mirrored: Bool, quarterTurns: Int) {
    precondition((0..<4).contains(quarterTurns), "Orientation: \(quarterTurns) quarter turns, expected 0…3")
    self.mirrored = mirrored
    self.quarterTurns = quarterTurns
  }

  /// The source pixel (row, column) of an n × n image that lands at (r, c): turning the output
  /// back clockwise, then mirroring, finds where it came from.
  @inline(__always)
  func source(_ r: Int, _ c: Int, _ n: Int) -> (Int, Int) {
    var (y, x) = (r, c)
    switch quarterTurns {
    case 1: (y, x) = (x, n - 1 - y)
    case 2: (y, x) = (n - 1 - y, n - 1 - x)
    case 3: (y, x) = (n - 1 - x, y)
    default: break
    }
    return (y, mirrored ? n - 1 - x : x)
  }
}

extension Orientation {
  /// A random placement for each of `count` training images, or nil when neither is asked for.
  /// Mirror bits are drawn first, one per image, so that a run without turns draws exactly as
  /// before turns existed.
  public static func random(_ count: Int, mirror: Bool, turn: Bool, generator g: inout RandomGenerator) -> [Orientation]? {
    guard mirror || turn else { return nil }
    let mirrored = mirror ? (0..<count).map { _ in g.nextUniform() < 0.5 } : Array(repeating: false, count: count)
    let turns = turn ? (0..<count).map { _ in g.nextInt(below: 4) } : Array(repeating: 0, count: count)
    return (0..<count).map { Orientation(mirrored: mirrored[$0], quarterTurns: turns[$0]) }
  }
}

extension Orientation {
  /// The first `count` placements of an image: the image itself, then its mirror image, then the
  /// other six symmetries of the square (quarter turns, mirrored or not). 1, 2 and 8 are whole
  /// groups: averaging over one of them gives an image and its placements in the group the same outputs.
  public static func views(_ count: Int) -> [Orientation] {
    precondition((1...8).contains(count), "Orientation.views: \(count), expected 1…8")
    let all = [false, true].flatMap { m in (0..<4).map { Orientation(mirrored: m, quarterTurns: $0) } }
    return Array(([all[0], all[4]] + all[1..<4] + all[5...]).prefix(count))
  }
}
