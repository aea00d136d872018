// Tests of the image transforms: resampling keeps flat colours and averages under downscaling,
// crops, flips and quarter turns move the right pixels, normalisation uses ImageNet's mean and std.

import Corpus
import Tensor
import XCTest
@testable import ImageNet

final class PreprocessingTests: XCTestCase {
  func flat(_ w: Int, _ h: Int, _ rgb: (UInt8, UInt8, UInt8)) -> RGBImage {
    RGBImage(width: w, height: h, pixels: (0..<(w * h)).flatMap { _ in [rgb.0, rgb.1, rgb.2] })
  }

  func testResamplingWeightsSumToOneAndAntialias() {
    for (input, output) in [(100, 10), (10, 100), (37, 37), (5, 3)] {
      for taps in Preprocessing.weights(from: 0, length: Double(input), inputSize: input, outputSize: output) {
        XCTAssertEqual(taps.reduce(0) { $0 + $1.1 }, 1, accuracy: 1e-5)
      }
    }
    // Downscaling 10× averages over about 20 input pixels (antialiasing), not 2.
    XCTAssertGreaterThan(Preprocessing.weights(from: 0, length: 100, inputSize: 100, outputSize: 10)[5].count, 15)
    // A one-pixel stripe pattern downscaled by 4 becomes mid grey, as an antialiased filter does.
    let stripes = RGBImage(width: 64, height: 4, pixels: (0..<(64 * 4)).flatMap { i -> [UInt8] in let v: UInt8 = i % 2 == 0 ? 0 : 255; return [v, v, v] })
    let small = Preprocessing.resample(stripes, x: 0, y: 0, width: 64, height: 4, to: 16, 1)
    XCTAssertTrue(small.values.allSatisfy { abs($0 - 127.5) < 20 }, "\(small.values.prefix(6))")
  }

  func testEvaluationOfAFlatImageIsItsNormalisedColour() {
    let out = Preprocessing(size: 32).evaluation(flat(50, 40, (255, 128, 0)))
    XCTAssertEqual(out.count, 3 * 32 * 32)
    XCTAssertEqual(out[0], (1 - 0.485) / 0.229, accuracy: 1e-4)
    XCTAssertEqual(out[32 * 32], (128 / 255 - 0.456) / 0.224, accuracy: 1e-4)
    XCTAssertEqual(out[2 * 32 * 32 + 100], (0 - 0.406) / 0.225, accuracy: 1e-4)
  }

  func testCenterCropAndFlip() {
    // A 4×4 ramp: crop the centre 2×2, then flip it.
    let ramp = FloatImage(width: 4, height: 4, values: (0..<16).flatMap { [Float($0), 0, 0] })
    let cropped = Preprocessing.crop(ramp, left: 1, top: 1, size: 2)
    XCTAssertEqual(stride(from: 0, to: 12, by: 3).map { cropped.values[$0] }, [5, 6, 9, 10])
    let flipped = Preprocessing.flipped(cropped)
    XCTAssertEqual(stride(from: 0, to: 12, by: 3).map { flipped.values[$0] }, [6, 5, 10, 9])
  }

  func testTrainingCropsAreRandomButSeeded() {
    let image = RGBImage(width: 60, height: 40, pixels: (0..<(60 * 40 * 3)).map { UInt8($0 % 251) })
    var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
    let p = Preprocessing(size: 24)
    let first = p.training(image, generator: &a)
    XCTAssertEqual(first, p.training(image, generator: &b))
    XCTAssertNotEqual(first, p.training(image, generator: &a))
    XCTAssertEqual(p.batch([first, first]).shape, [2, 3, 24, 24])
  }

  /// normalise places the cached pixels as asked: an 8×8 ramp turned a quarter anticlockwise
  /// shows its right column along the top; four turns, or a mirror twice, give the image back;
  /// the eight placements are eight different images; a draw without turns draws as flips did.
  func testOrientationsMoveThePixelsOfASquare() {
    let p = Preprocessing(size: 8)
    let bytes: [UInt8] = (0..<64).flatMap { (i: Int) -> [UInt8] in [UInt8(i * 4), 0, 0] }
    func placed(_ o: Orientation) -> [Int] {
      var out = [Float](repeating: 0, count: 3 * 64)
      bytes.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) in
        out.withUnsafeMutableBufferPointer { p.normalise(pixels: b.baseAddress!, orientation: o, into: $0.baseAddress!) }
      }
      let red: ArraySlice<Float> = out[0..<64]
      return red.map { (v: Float) -> Int in Int(((v + 0.485 / 0.229) * 0.229 * 255 / 4).rounded()) }  // back to the ramp's 0…63
    }
    let row = { (image: [Int]) in Array(image[0..<8]) }
    XCTAssertEqual(placed(.upright), Array(0..<64))
    XCTAssertEqual(row(placed(Orientation(mirrored: true, quarterTurns: 0))), [7, 6, 5, 4, 3, 2, 1, 0])
    XCTAssertEqual(row(placed(Orientation(mirrored: false, quarterTurns: 1))), [7, 15, 23, 31, 39, 47, 55, 63], "the right column, top first")
    XCTAssertEqual(placed(Orientation(mirrored: false, quarterTurns: 2)), Array((0..<64).reversed()))
    XCTAssertEqual(row(placed(Orientation(mirrored: false, quarterTurns: 3))), [56, 48, 40, 32, 24, 16, 8, 0], "the left column, bottom first")
    XCTAssertEqual(row(placed(Orientation(mirrored: true, quarterTurns: 1))), [0, 8, 16, 24, 32, 40, 48, 56], "mirrored, then turned")
    XCTAssertEqual(Set((0..<8).map { placed(Orientation(mirrored: $0 >= 4, quarterTurns: $0 % 4)) }).count, 8)

    var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7)
    let mirrorsOnly = Orientation.random(50, mirror: true, turn: false, generator: &a)!
    XCTAssertEqual(mirrorsOnly.map(\.mirrored), (0..<50).map { _ in b.nextUniform() < 0.5 })
    XCTAssertTrue(mirrorsOnly.allSatisfy { $0.quarterTurns == 0 })
    XCTAssertNil(Orientation.random(5, mirror: false, turn: false, generator: &a))
    let turned = Orientation.random(400, mirror: false, turn: true, generator: &a)!
    XCTAssertEqual(Set(turned.map(\.quarterTurns)), [0, 1, 2, 3])
    XCTAssertTrue(turned.allSatisfy { !$0.mirrored })
  }
}
