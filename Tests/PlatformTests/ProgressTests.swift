// Tests of the progress bar's arithmetic: the smoothed rate and the whole run's time left.

import Foundation
import XCTest
@testable import Platform

final class ProgressTests: XCTestCase {
  func testRateIsSmoothedAndIgnoresUntimedIntervals() {
    XCTAssertNil(ProgressBar.smoothed(nil, items: 64, seconds: 0.001), "a first batch timed in a millisecond gives no rate")
    let first = ProgressBar.smoothed(nil, items: 100, seconds: 1)
    XCTAssertEqual(first, 100)
    XCTAssertEqual(ProgressBar.smoothed(first, items: 400, seconds: 1)!, 0.3 * 400 + 0.7 * 100, accuracy: 1e-9)
    XCTAssertEqual(ProgressBar.smoothed(first, items: 5_000_000, seconds: 0.0001), first, "a last redraw right after the one before")
    XCTAssertEqual(ProgressBar.clock(3725), "1:02:05")
    XCTAssertEqual(ProgressBar.clock(.infinity), "–")
  }

  func testRunTimeLeftCountsLaterPhasesAndEpochs() {
    let clock = EpochClock(epochs: 10, phases: 2)
    let t0 = Date(timeIntervalSince1970: 0)
    // Epoch 1, image pass: 6 s in with 4 s left; the text pass is not timed yet, so guessed at 10 s.
    clock.begin(phase: 0, at: t0)
    XCTAssertEqual(clock.remaining(epoch: 0, phase: 0, phaseLeft: 4, at: t0 + 6), 4 + 10 + 9 * 20, accuracy: 1e-9)
    // The image pass took 10 s, the text pass 2 s: epoch 3's text pass with 1 s left.
    clock.begin(phase: 1, at: t0 + 10)
    clock.begin(phase: 0, at: t0 + 12)
    clock.begin(phase: 1, at: t0 + 22)
    XCTAssertEqual(clock.remaining(epoch: 2, phase: 1, phaseLeft: 1, at: t0 + 23), 1 + 7 * 12, accuracy: 1e-9)
  }

  func testBarsSayWhichEpochOfHowMany() {
    XCTAssertEqual(EpochBars.label(epoch: 2, of: 30, pass: 0, plan: nil), "epoch 3/30 image")
    let plan = PlanClock(runs: 4)
    plan.finished(after: 10)
    XCTAssertEqual(EpochBars.label(epoch: 0, of: 60, pass: 1, plan: plan), "run 2/4 epoch 1/60 text")
  }

  func testPlanTimeLeftFromTheFinishedRuns() {
    let plan = PlanClock(runs: 4)
    XCTAssertNil(plan.remaining)
    XCTAssertEqual(plan.after(thisRun: 100), 300, "before any run has finished, the later ones are guessed as long as this one")
    plan.finished(after: 60)
    plan.finished(after: 80)
    XCTAssertEqual(plan.current, 2)
    XCTAssertEqual(plan.remaining!, 2 * 70, accuracy: 1e-9)
    XCTAssertEqual(plan.after(thisRun: 500), 70, accuracy: 1e-9)
  }
}
