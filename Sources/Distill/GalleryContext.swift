// GalleryContext: the gallery a distillation answers to — the gallery model's codes of the
// training items, text and image together — and each item's context in it: its nearest codes as
// the gallery model ranks them (the project's Hamming search), refreshed from the student's own
// codes when asked.

import Hashing
import Model
import Tensor
import Training

public final class GalleryContext {
  /// The gallery's codes as ±1 rows [m, k] (the training items' text codes, then their image codes).
  public let signs: Tensor
  let codes: BinaryCodes
  /// Per tower (0 image, 1 text): each item's nearest gallery codes under the gallery model.
  let teacherNearest: [[[Int32]]]
  /// Per tower: the context each item trains on (the teacher's nearest, its last quarter replaced
  /// by the student's nearest after a refresh).
  public internal(set) var contexts: [[[Int32]]]

  /// `imageOutputs`, `textOutputs`: the gallery model's outputs [n, k] for the training items.
  public init(imageOutputs: Tensor, textOutputs: Tensor, neighbours: Int) {
    let (n, k) = (imageOutputs.shape[0], imageOutputs.shape[1])
    let all = Tensor(zeros: [2 * n, k])
    (all.data).update(from: textOutputs.data, count: n * k)
    (all.data + n * k).update(from: imageOutputs.data, count: n * k)
    let gallery = BinaryCodes(signs: all.data, count: 2 * n, bits: k)
    for i in 0..<all.count { all.data[i] = all.data[i] >= 0 ? 1 : -1 }
    codes = gallery
    signs = all
    let size = min(neighbours, 2 * n)
    teacherNearest = [imageOutputs, textOutputs].map { Self.nearest($0, in: gallery, count: size) }
    contexts = teacherNearest
  }

  public var count: Int { codes.count }
  public var contextSize: Int { contexts[0].first?.count ?? 0 }

  /// The `count` nearest gallery codes of each row's signs, nearest first (ties by gallery position).
  static func nearest(_ outputs: Tensor, in gallery: BinaryCodes, count: Int) -> [[Int32]] {
    let queries = BinaryCodes(signs: outputs.data, count: outputs.shape[0], bits: outputs.shape[1])
    return HammingSearch.topK(queries, in: gallery, k: count).map { $0.map { Int32($0.index) } }
  }

  /// Replaces the last quarter of each context of `tower` by the gallery codes nearest to the
  /// student's outputs that are not in the context's first three quarters.
  public func refresh(tower: Int, studentOutputs: Tensor) {
    let size = contextSize, kept = size - size / 4
    let student = Self.nearest(studentOutputs, in: codes, count: size)
    contexts[tower] = zip(teacherNearest[tower], student).map { teacher, mine in
      let head = Array(teacher.prefix(kept)), taken = Set(head)
      let fresh = mine.filter { !taken.contains($0) }.prefix(size - kept)
      return head + fresh + teacher.dropFirst(kept).prefix(size - kept - fresh.count)
    }
  }

  /// The ±1 codes of the contexts of `rows` of `tower`, each followed by `extra[i]` (random
  /// gallery positions): [b, K + extra, k].
  public func batch(tower: Int, rows: [Int], extra: [[Int]]) -> Tensor {
    let k = signs.shape[1], width = contextSize + (extra.first?.count ?? 0)
    let out = Tensor(zeros: [rows.count, width, k])
    for (i, row) in rows.enumerated() {
      let positions = contexts[tower][row].map(Int.init) + extra[i]
      for (j, g) in positions.enumerated() { (out.data + (i * width + j) * k).update(from: signs.data + g * k, count: k) }
    }
    return out
  }

  /// The share of each item's `top` nearest gallery codes under the teacher that are also among
  /// the student's `top` nearest (1: the student ranks the gallery's head as the teacher does).
  public func agreement(tower: Int, studentOutputs: Tensor, top: Int = 10) -> Double {
    let t = min(top, contextSize)
    guard t > 0 else { return 0 }
    let student = Self.nearest(studentOutputs, in: codes, count: t)
    var shared = 0
    for (teacher, mine) in zip(teacherNearest[tower], student) { shared += Set(teacher.prefix(t)).intersection(mine).count }
    return Double(shared) / Double(t * student.count)
  }

  /// The contexts as tensors for a checkpoint, and back.
  var tensors: [(String, Tensor)] {
    contexts.enumerated().map { t, table in
      ("context.\(t)", Tensor(shape: [table.count, contextSize], values: table.flatMap { $0.map(Float.init) }))
    }
  }

  func restore(_ tensors: [String: Tensor]) -> Bool {
    var restored = contexts
    for t in 0..<2 {
      guard let saved = tensors["context.\(t)"], saved.shape == [contexts[t].count, contextSize] else { return false }
      restored[t] = (0..<contexts[t].count).map { i in (0..<contextSize).map { Int32(saved.data[i * contextSize + $0]) } }
      guard restored[t].allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < count } }) else { return false }
    }
    contexts = restored
    return true
  }
}
