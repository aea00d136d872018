// Tests of the image transforms: resampling keeps flat colours and averages under downscaling,
// crops and flips move the right pixels, normalisation uses ImageNet's mean and std.

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
}
