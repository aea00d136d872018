// Tests of SGD, RMSprop and Adam against PyTorch's update rules worked by hand, weight decay,
// parameter groups, frozen parameters and the learning-rate schedules.

import Tensor
import XCTest

final class OptimizerTests: XCTestCase {
  /// A parameter holding `values`, with gradient `gradient`.
  func parameter(_ values: [Float], gradient: [Float]) -> Parameter {
    let p = Parameter(Tensor(shape: [values.count], values: values))
    p.grad.assign(Tensor(shape: [gradient.count], values: gradient))
    return p
  }

  func testSGDMomentumStartsFromTheGradient() {
    let p = parameter([1, -1], gradient: [0.5, -2])
    let sgd = SGD(groups: [ParameterGroup([("w", p)], learningRate: 0.1)], momentum: 0.9)
    sgd.step()  // buf = g
    XCTAssertEqual(p.value.scalars[0], 1 - 0.1 * 0.5, accuracy: 1e-7)
    p.grad.assign(Tensor(shape: [2], values: [1, 1]))
    sgd.step()  // buf = 0.9·g₁ + g₂
    XCTAssertEqual(p.value.scalars[0], 0.95 - 0.1 * (0.9 * 0.5 + 1), accuracy: 1e-6)
    XCTAssertEqual(p.value.scalars[1], -1 + 0.2 - 0.1 * (0.9 * -2 + 1), accuracy: 1e-6)
  }

  func testRMSpropFirstStep() {
    // v = (1 − α)g², so the first step is lr·g/(√0.01·|g|) = 10·lr·sign(g).
    let p = parameter([0, 0], gradient: [3, -0.2])
    RMSprop(groups: [ParameterGroup([("w", p)], learningRate: 1e-3)]).step()
    XCTAssertEqual(p.value.scalars[0], -1e-2, accuracy: 1e-7)
    XCTAssertEqual(p.value.scalars[1], 1e-2, accuracy: 1e-7)
  }

  func testDamagedStepCountsInAStateAreRefused() {
    // Found by the fuzzer: a step count that is not a whole number of sane size trapped when the
    // next update turned it into an Int.
    let p = parameter([0, 0], gradient: [1, 1])
    let rms = RMSprop(groups: [ParameterGroup([("w", p)], learningRate: 1e-3)])
    for bad: Float in [10.45, -1, -1.8e12, 1e30, .nan, .infinity] {
      let state = ["w.step": Tensor(shape: [1], values: [bad]), "w.square_avg": Tensor(zeros: [2])]
      XCTAssertThrowsError(try rms.loadState(state), "step \(bad)")
    }
    XCTAssertNoThrow(try rms.loadState(["w.step": Tensor(shape: [1], values: [7]), "w.square_avg": Tensor(zeros: [2])]))
  }

  func testAdamBiasCorrection() {
    // After bias correction the first step is lr·g/|g|, the second lr·m̂/√v̂.
    let p = parameter([0], gradient: [2])
    let adam = Adam(groups: [ParameterGroup([("w", p)], learningRate: 0.01)])
    adam.step()
    XCTAssertEqual(p.value.scalars[0], -0.01, accuracy: 1e-6)
    p.grad.assign(Tensor(shape: [1], values: [-1]))
    adam.step()
    let m = (0.9 * 0.1 * 2 + 0.1 * -1) / (1 - 0.81), v = (0.999 * 0.001 * 4 + 0.001 * 1) / (1 - 0.999 * 0.999)
    XCTAssertEqual(Double(p.value.scalars[0]), -0.01 - 0.01 * m / (v.squareRoot() + 1e-8), accuracy: 1e-6)
  }

  /// Large parameters go through the 16-lane kernels in slices on all threads (with a scalar tail):
  /// two steps of each against the update rule in Double.
  func testVectorUpdatesMatchTheRuleOverLargeParameters() {
    var g = RandomGenerator(seed: 4)
    let n = (1 << 18) + 13, w0 = g.normal([n]), g1 = g.normal([n]), g2 = g.normal([n])
    for (name, makeOptimizer) in [("rmsprop", { RMSprop(groups: [$0]) as Optimizer }), ("adam", { Adam(groups: [$0]) })] {
      let p = Parameter(w0.copy())
      let optimizer = makeOptimizer(ParameterGroup([("w", p)], learningRate: 1e-2))
      var (w, m, v) = (w0.scalars.map(Double.init), [Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
      for (t, gradient) in [g1, g2].enumerated() {
        p.grad.assign(gradient)
        optimizer.step()
        for i in 0..<n {
          let gi = Double(gradient.data[i])
          if name == "rmsprop" {
            v[i] = 0.99 * v[i] + 0.01 * gi * gi
            w[i] -= 1e-2 * gi / (v[i].squareRoot() + 1e-8)
          } else {
            m[i] = 0.9 * m[i] + 0.1 * gi
            v[i] = 0.999 * v[i] + 0.001 * gi * gi
            let c1 = 1 - pow(0.9, Double(t + 1)), c2 = (1 - pow(0.999, Double(t + 1))).squareRoot()
            w[i] -= 1e-2 / c1 * m[i] / (v[i].squareRoot() / c2 + 1e-8)
          }
        }
      }
      let worst = (0..<n).map { abs(Double(p.value.data[$0]) - w[$0]) }.max()!
      XCTAssertLessThan(worst, 1e-5, "\(name): largest difference from the rule \(worst)")
    }
  }

  func testWeightDecayAddsToTheGradient() {
    let p = parameter([2], gradient: [0])
    SGD(groups: [ParameterGroup([("w", p)], learningRate: 0.5, weightDecay: 0.1)]).step()
    XCTAssertEqual(p.value.scalars[0], 2 - 0.5 * 0.2, accuracy: 1e-7)
    XCTAssertEqual(p.grad.scalars[0], 0, "weight decay must not change the stored gradient")
  }

  func testGroupsAndFrozenParameters() {
    let a = parameter([1], gradient: [1]), b = parameter([1], gradient: [1]), frozen = parameter([1], gradient: [1])
    frozen.isTrainable = false
    let sgd = SGD(groups: [ParameterGroup([("a", a), ("f", frozen)], learningRate: 0.1), ParameterGroup([("b", b)], learningRate: 0.3)])
    sgd.step()
    XCTAssertEqual(a.value.scalars[0], 0.9, accuracy: 1e-7)
    XCTAssertEqual(b.value.scalars[0], 0.7, accuracy: 1e-7)
    XCTAssertEqual(frozen.value.scalars[0], 1)
  }

  func testSchedules() {
    let step = StepSchedule(stepSize: 15, gamma: 0.5)
    XCTAssertEqual([0, 14, 15, 29, 30].map { step.factor(epoch: $0) }, [1, 1, 0.5, 0.5, 0.25])
    let cosine = CosineSchedule(totalEpochs: 10, minimumFactor: 0.1)
    XCTAssertEqual(cosine.factor(epoch: 0), 1, accuracy: 1e-6)
    XCTAssertEqual(cosine.factor(epoch: 5), 0.55, accuracy: 1e-6)
    XCTAssertEqual(cosine.factor(epoch: 10), 0.1, accuracy: 1e-6)
    // torch.optim.lr_scheduler.OneCycleLR(optimizer, 1.0, total_steps=20), its rates at steps 0…19.
    let torch: [Float] = [0.04, 0.131672, 0.371672, 0.668328, 0.908328, 1.0, 0.987464, 0.950485, 0.890916, 0.811746,
                          0.716943, 0.611262, 0.500002, 0.388742, 0.283061, 0.188258, 0.109088, 0.049519, 0.01254, 4e-06]
    let cycle = OneCycleSchedule(totalSteps: 20)
    for (step, rate) in torch.enumerated() { XCTAssertEqual(cycle.factor(step: step), rate, accuracy: 2e-6, "step \(step)") }
    let p = parameter([0], gradient: [0])
    let sgd = SGD(groups: [ParameterGroup([("w", p)], learningRate: 1e-4)])
    sgd.applySchedule(step, epoch: 15)
    XCTAssertEqual(sgd.groups[0].learningRate, 5e-5, accuracy: 1e-12)
  }

  func testOptimisersMinimiseAQuadratic() {
    for make in [{ SGD(groups: $0, momentum: 0.9) }, { RMSprop(groups: $0) }, { Adam(groups: $0) }] as [([ParameterGroup]) -> Optimizer] {
      let p = parameter([3, -2], gradient: [0, 0])
      let optimizer = make([ParameterGroup([("w", p)], learningRate: 0.01)])
      for _ in 0..<2000 {
        p.grad.assign(p.value)  // L = ½‖w‖²
        optimizer.step()
      }
      XCTAssertLessThan(abs(p.value.scalars[0]) + abs(p.value.scalars[1]), 0.05, "\(type(of: optimizer))")
    }
  }
}
