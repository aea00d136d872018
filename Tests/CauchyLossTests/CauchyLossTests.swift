// Tests of the objective: finite-difference gradient checks for every term, the loss on a small
// example worked by hand, similarity, and the code update.

import CauchyLoss
import Corpus
import Foundation
import Tensor
import XCTest

final class CauchyLossTests: XCTestCase {
  func labels(_ rows: [[Float]]) -> Tensor { Tensor(shape: [rows.count, rows[0].count], values: rows.flatMap { $0 }) }

  func testSimilarity() {
    let s = Similarity(labels([[0, 0, 1], [1, 1, 0], [0, 0, 0]])).matrix(labels([[1, 0, 1], [0, 1, 0]]))
    XCTAssertEqual(s.scalars, [1, 1, 0, 0, 1, 0])
  }

  func testCauchyGradient() {
    var g = RandomGenerator(seed: 1)
    let u = g.normal([4, 8]), v = g.normal([7, 8])
    let batch = g.uniform([4, 3], 0, 1).mapBinary()
    let s = Similarity(g.uniform([7, 3], 0, 1).mapBinary()).matrix(batch)
    for gamma: Float in [10, 2] {
      let loss = CauchyLoss(gamma: gamma)
      let (_, gradient) = loss.evaluate(u, v, similarity: s)
      checkGradient(u, gradient) { loss.evaluate(u, v, similarity: s).loss }
    }
  }

  /// The vectorised pairs (cmh_cauchy_row: sixteen lanes, a tail, its own logarithm) against the
  /// loss and gradient in Double over many pairs: soft and 0/1 targets, capped cosines, rows with
  /// no similar item.
  func testManyPairsMatchADoubleReference() {
    var g = RandomGenerator(seed: 7)
    let (b, n, k) = (6, 203, 16)
    let v = g.normal([n, k]), u = g.normal([b, k])
    for t in 0..<k { u.data[t] = v.data[t] * 2 }  // row 0 lies on item 0: its cosine passes the cap
    let s = g.uniform([b, n], 0, 1)
    for i in 0..<(b * n) where i % 3 == 0 { s.data[i] = s.data[i] > 0.5 ? 1 : 0 }
    for j in 0..<n { s.data[5 * n + j] = 0 }  // a row with nothing similar
    let gamma: Float = 10, (loss, gradient) = CauchyLoss(gamma: gamma).evaluate(u, v, similarity: s)
    // The same in Double.
    let norm = { (x: Tensor, r: Int) in (0..<k).reduce(0.0) { $0 + Double(x.data[r * k + $1]) * Double(x.data[r * k + $1]) }.squareRoot() }
    let total = Double(b * n), similar = (0..<(b * n)).reduce(0.0) { $0 + Double(s.data[$1]) }
    let (w1, w0, half, cap) = (total / similar, total / (total - similar), Double(k) / 2, Double(CauchyLoss.cosineCap))
    var expected = 0.0, expectedGradient = [Double](repeating: 0, count: b * k)
    for r in 0..<b {
      let nu = norm(u, r)
      for j in 0..<n {
        let nv = norm(v, j), dot = (0..<k).reduce(0.0) { $0 + Double(u.data[r * k + $1]) * Double(v.data[j * k + $1]) }
        let c = dot / nu / nv, target = Double(s.data[r * n + j])
        let pull = w1 * target, push = w0 * (1 - target), w = pull + push
        let (a, bb) = w > 0 ? (pull / w, push / w) : (0, 0)
        let capped = c > cap, d = capped ? half * (1 - cap) : half * (1 - c)
        expected += w * (log(Double(gamma) + d) - a * log(Double(gamma)) - bb * log(d))
        let dc = -half * w * ((capped ? 0 : 1 / (Double(gamma) + d)) - bb / d)
        for t in 0..<k {
          let uh = Double(u.data[r * k + t]) / nu, vh = Double(v.data[j * k + t]) / nv
          expectedGradient[r * k + t] += dc * (vh - c * uh) / nu / Double(b)
        }
      }
    }
    XCTAssertEqual(Double(loss), expected / Double(b), accuracy: 1e-5 * abs(expected / Double(b)))
    let scale = expectedGradient.map(abs).max()!
    for i in 0..<(b * k) { XCTAssertEqual(Double(gradient.data[i]), expectedGradient[i], accuracy: 1e-4 * scale, "gradient \(i)") }
  }

  func testGradedSimilarity() {
    let batch = labels([[1, 1, 0], [0, 0, 0]]), all = labels([[1, 0, 0], [1, 1, 1], [0, 0, 1]])
    XCTAssertEqual(Similarity(all, kind: .any).matrix(batch).scalars, [1, 1, 0, 0, 0, 0])
    let cosine = Similarity(all, kind: .cosine).matrix(batch).scalars
    for (x, y) in zip(cosine, [1 / Float(2).squareRoot(), 2 / Float(6).squareRoot(), 0, 0, 0, 0]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    let jaccard = Similarity(all, kind: .jaccard).matrix(batch).scalars
    for (x, y) in zip(jaccard, [0.5, Float(2) / 3, 0, 0, 0, 0]) { XCTAssertEqual(x, y, accuracy: 1e-6) }
  }

  /// Every kind over rows longer than a vector (37 items, some label sets empty) against its
  /// definition, and the batch's Double sum against one running sum.
  func testGradedSimilarityOfManyItemsMatchesTheDefinition() {
    var g = RandomGenerator(seed: 11)
    let (batch, all) = (g.uniform([5, 6], 0, 1).mapBinary(), g.uniform([37, 6], 0, 1).mapBinary())
    for kind in SimilarityKind.allCases {
      let s = Similarity(all, kind: kind).matrix(batch)
      for i in 0..<5 {
        for j in 0..<37 {
          let (x, y) = ((0..<6).map { batch.data[i * 6 + $0] }, (0..<6).map { all.data[j * 6 + $0] })
          let shared = zip(x, y).map(*).reduce(0, +), (a, b) = (x.reduce(0, +), y.reduce(0, +))
          let expected: Float = switch kind {
          case .any: shared > 0 ? 1 : 0
          case .cosine: a * b > 0 ? shared / (a * b).squareRoot() : 0
          case .jaccard: a + b - shared > 0 ? shared / (a + b - shared) : 0
          }
          XCTAssertEqual(s.data[i * 37 + j], expected, accuracy: 1e-6, "\(kind) \(i), \(j)")
        }
      }
      XCTAssertEqual(WholeBatch.sum(s), s.scalars.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-9, "\(kind)")
    }
  }

  /// Soft targets: the gradients of both losses by finite differences, and a 0/1 target gives the
  /// loss of the 0/1 form.
  func testSoftTargetGradients() {
    var g = RandomGenerator(seed: 3)
    let u = g.normal([4, 8]), v = g.normal([7, 8])
    let a = g.uniform([4, 5], 0, 1).mapBinary(), b = g.uniform([7, 5], 0, 1).mapBinary()
    for kind in [SimilarityKind.cosine, .jaccard] {
      let s = Similarity(b, kind: kind).matrix(a)
      let cauchy = CauchyLoss(gamma: 4)
      checkGradient(u, cauchy.evaluate(u, v, similarity: s).gradient) { cauchy.evaluate(u, v, similarity: s).loss }
      checkGradient(u, DCMHLoss().evaluate(u, v, similarity: s).gradient) { DCMHLoss().evaluate(u, v, similarity: s).loss }
    }
  }

  func testCauchyValueByHand() {
    // k = 2, one similar pair at 90° (cos 0, d = 1) and one dissimilar pair at 180° (cos −1, d = 2).
    let u = Tensor(shape: [1, 2], values: [1, 0]), v = Tensor(shape: [2, 2], values: [0, 3, -2, 0])
    let s = Tensor(shape: [1, 2], values: [1, 0])
    let gamma = 10.0
    // Weights: |S| = 2, one similar and one dissimilar pair: w = 2 for each.
    let expected = 2 * (log(gamma + 1) - log(gamma)) + 2 * (log(gamma + 2) - log(2.0))
    XCTAssertEqual(Double(CauchyLoss(gamma: Float(gamma)).evaluate(u, v, similarity: s).loss), expected, accuracy: 1e-5)
    // A capped pair (cos > 0.99) adds its loss at d = k/200; parallel rows have no direction to move.
    let same = CauchyLoss().evaluate(u, Tensor(shape: [1, 2], values: [5, 0]), similarity: Tensor(shape: [1, 1], values: [0]))
    XCTAssertEqual(Double(same.loss), log(10.01) - log(0.01), accuracy: 1e-3)
    XCTAssertEqual(same.gradient.scalars, [0, 0])
  }

  func testCauchyPullsSimilarTogetherAndPushesDissimilarApart() {
    var g = RandomGenerator(seed: 2)
    let u = g.normal([1, 16]), v = g.normal([2, 16])
    let s = Tensor(shape: [1, 2], values: [1, 0])
    let before = (CauchyLossTests.cosine(u, v, 0), CauchyLossTests.cosine(u, v, 1))
    for _ in 0..<200 {
      let (_, gradient) = CauchyLoss().evaluate(u, v, similarity: s)
      for i in 0..<u.count { u.data[i] -= 0.5 * gradient.data[i] }
    }
    XCTAssertGreaterThan(CauchyLossTests.cosine(u, v, 0), before.0 + 0.3)
    XCTAssertLessThan(CauchyLossTests.cosine(u, v, 1), before.1 - 0.3)
  }

  static func cosine(_ u: Tensor, _ v: Tensor, _ j: Int) -> Float {
    let k = u.shape[1]
    var dot: Float = 0, nu: Float = 0, nv: Float = 0
    for t in 0..<k { dot += u.data[t] * v.data[j * k + t]; nu += u.data[t] * u.data[t]; nv += v.data[j * k + t] * v.data[j * k + t] }
    return dot / (nu * nv).squareRoot()
  }

  func testDCMHGradientAndValue() {
    var g = RandomGenerator(seed: 3)
    let u = g.uniform([3, 6], -1, 1), v = g.uniform([5, 6], -1, 1)
    let batch = g.uniform([3, 2], 0, 1).mapBinary()
    let s = Similarity(g.uniform([5, 2], 0, 1).mapBinary()).matrix(batch)
    let (_, gradient) = DCMHLoss().evaluate(u, v, similarity: s)
    checkGradient(u, gradient) { DCMHLoss().evaluate(u, v, similarity: s).loss }
    let one = DCMHLoss().evaluate(Tensor(shape: [1, 1], values: [2]), Tensor(shape: [1, 1], values: [1]), similarity: Tensor(shape: [1, 1], values: [1]))
    XCTAssertEqual(Double(one.loss), log(1 + exp(1.0)) - 1, accuracy: 1e-6)
  }

  func testCauchyQuantization() {
    var g = RandomGenerator(seed: 5)
    let f = g.uniform([3, 6], 0.2, 1)  // away from 0, where |f| has no derivative
    for i in [1, 4, 9, 14] { f.data[i] = -f.data[i] }
    let (_, gradient) = Quantization.cauchy(f, gamma: 4, lambda: 0.6)
    checkGradient(f, gradient) { Quantization.cauchy(f, gamma: 4, lambda: 0.6).loss }
    // A row whose bits all have one magnitude is at a vertex in direction: no loss, no pull.
    let vertex = Tensor(shape: [1, 4], values: [0.5, -0.5, 0.5, 0.5])
    let (zero, flat) = Quantization.cauchy(vertex, gamma: 4, lambda: 0.6)
    XCTAssertEqual(zero, 0, accuracy: 1e-6)
    XCTAssertLessThan(flat.scalars.map(abs).max()!, 1e-6)
    // By hand: |f| = (1, 0), cos = 1/√2, d = 1 − 1/√2.
    let (one, _) = Quantization.cauchy(Tensor(shape: [1, 2], values: [1, 0]), gamma: 2, lambda: 1)
    XCTAssertEqual(Double(one), log(1 + (1 - 1 / 2.0.squareRoot()) / 2), accuracy: 1e-6)
  }

  func testQuantizationAndBalance() {
    var g = RandomGenerator(seed: 4)
    let f = g.uniform([3, 4], -1, 1)
    let codes = Quantization.codes(f, g.uniform([3, 4], -1, 1))
    let (_, gradient) = Quantization.evaluate(f, codes: codes, alpha: 0.7)
    checkGradient(f, gradient) { Quantization.evaluate(f, codes: codes, alpha: 0.7).loss }
    // Balance over all rows: the batch is rows 0..<2 of a 5-row F.
    let all = g.uniform([5, 4], -1, 1)
    let batch = Tensor(zeros: [2, 4])
    func sums() -> [Float] {
      (0..<4).map { t in (0..<5).reduce(Float(0)) { $0 + ($1 < 2 ? batch.data[$1 * 4 + t] : all.data[$1 * 4 + t]) } }
    }
    for i in 0..<8 { batch.data[i] = all.data[i] }
    let (_, balance) = Quantization.balance(columnSums: sums(), batch: 2, eta: 0.3)
    checkGradient(batch, balance) { Quantization.balance(columnSums: sums(), batch: 2, eta: 0.3).loss }
  }

  func testCodeUpdateTiesGoPositive() {
    let f = Tensor(shape: [1, 4], values: [0.5, -0.5, 0.2, 0]), g = Tensor(shape: [1, 4], values: [-0.5, -0.1, -0.3, 0])
    XCTAssertEqual(Quantization.codes(f, g).scalars, [1, -1, -1, 1])
  }

  /// A batch cut in two parts (the ranks of a data-parallel run), each evaluated with the whole
  /// batch's row count and target sum: the losses add up to the whole batch's, and each row's
  /// gradient is the whole batch's, for every term.
  func testPartsOfABatchAddUpToTheWholeBatch() {
    var g = RandomGenerator(seed: 9)
    let u = g.normal([6, 8]), v = g.normal([9, 8]), codes = g.normal([6, 8]).mapBinary()
    let s = Similarity(g.uniform([9, 3], 0, 1).mapBinary(), kind: .jaccard).matrix(g.uniform([6, 3], 0, 1).mapBinary())
    let whole = WholeBatch(rows: 6, similaritySum: WholeBatch.sum(s))
    let parts = [Array(0..<4), Array(4..<6)]
    typealias Term = (Tensor, [Int], WholeBatch?) -> (loss: Float, gradient: Tensor)
    let terms: [(String, Term)] = [
      ("cauchy", { x, rows, w in CauchyLoss().evaluate(x, v, similarity: w == nil ? s : s.rows(rows), whole: w) }),
      ("dcmh", { x, rows, w in DCMHLoss().evaluate(x, v, similarity: w == nil ? s : s.rows(rows), whole: w) }),
      ("quantization", { x, rows, w in Quantization.evaluate(x, codes: w == nil ? codes : codes.rows(rows), alpha: 1, rows: w?.rows) }),
      ("cauchy quantization", { x, _, w in Quantization.cauchy(x, gamma: 10, lambda: 1, rows: w?.rows) }),
      ("balance", { x, _, w in Quantization.balance(columnSums: [1, -2, 3, 0, 1, 1, -1, 2], batch: x.shape[0], eta: 0.5, rows: w?.rows) }),
      ("labels", { x, rows, w in LabelPrediction(weight: 1, items: 9).evaluate(logits: x, labels: w == nil ? codes : codes.rows(rows), rows: w?.rows) }),
    ]
    for (name, term) in terms {
      let (loss, gradient) = term(u, Array(0..<6), nil)
      var sum: Float = 0
      for rows in parts {
        let (l, gp) = term(u.rows(rows), rows, whole)
        sum += l
        for (r, row) in rows.enumerated() {
          for t in 0..<8 { XCTAssertEqual(gp.data[r * 8 + t], gradient.data[row * 8 + t], accuracy: 1e-6, name) }
        }
      }
      XCTAssertEqual(sum, loss, accuracy: 1e-4 * max(1, abs(loss)), name)
    }
  }
}

extension Tensor {
  /// 1 where the value is at least 0.5, else 0 (random multi-hot label rows).
  func mapBinary() -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<count { t.data[i] = data[i] >= 0.5 ? 1 : 0 }
    return t
  }
}
