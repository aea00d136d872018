// DataParallel: a run's batches shared among the ranks of an MPI job (`mpirun -np N cmh train`).
// Each rank computes its contiguous part of every batch; the towers' outputs of the batch are
// gathered so that F and G stay whole on every rank; parameter gradients are summed before each
// optimiser step, except in the first two layers of a text tower or a feature-row image tower,
// which the ranks split by units (UnitShare) and make whole again after each epoch; BatchNorm
// takes the whole batch's statistics. N ranks with `--batch-size b` train as one process with batch b: the same order of
// pairs, the same losses up to the order of float sums. Everything else (the B step, the collapse
// guard) is computed identically on every rank.

import Corpus
import Foundation
import Model
import Platform
import Tensor
import TextNet

public final class DataParallel: UnitExchange {
  public let world: MPI
  /// Parameters whose gradients are not summed over the ranks: already the whole batch's (gathered
  /// Linear layers), or computed by one rank for its own units (shared pairs).
  private var notSummed = Set<ObjectIdentifier>()
  /// The shared pairs' parameters and each rank's segments of them.
  private var shared: [(parameter: Parameter, segments: [Segments])] = []
  private var scratch: [Float] = [], bucket: [Float] = []
  /// Time spent and bytes sent since the last `traffic()`: by the batches (summing gradients,
  /// gathering rows), and making the split layers whole (once an epoch).
  private var batches = Tally(), settling = Tally()

  private struct Tally { var seconds = 0.0, bytes = 0 }

  /// The communication of the ranks since the last call (an epoch's, for its log line).
  public func traffic() -> Traffic {
    defer { (batches, settling) = (Tally(), Tally()) }
    return Traffic(seconds: batches.seconds, megabytes: Double(batches.bytes) / 1e6,
                   settleSeconds: settling.seconds, settleMegabytes: Double(settling.bytes) / 1e6)
  }

  /// An epoch's communication: its batches', and what making the split layers whole took.
  public struct Traffic: Sendable {
    public var seconds: Double, megabytes: Double, settleSeconds: Double, settleMegabytes: Double
  }

  /// Runs `body`, a collective of `count` floats, counted in `tally`.
  private func counted<T>(_ count: Int, in tally: ReferenceWritableKeyPath<DataParallel, Tally> = \.batches, _ body: () -> T) -> T {
    let started = Date()
    defer { self[keyPath: tally].seconds += Date().timeIntervalSince(started); self[keyPath: tally].bytes += 4 * count }
    return body()
  }

  public init(world: MPI) { self.world = world }

  /// The job's ranks, or nil outside mpirun.
  public static var current: DataParallel? { MPI.world.map(DataParallel.init) }

  /// The dense Linear layers of `modules` where gathering a batch of `batchSize` rows moves less
  /// than a quarter of what summing their gradients would take their gradients from the gathered
  /// rows instead (the text tower's 4,096 × 4,096 layer: 2 MB a batch instead of 67 MB). A text
  /// tower's first layer reads sparse rows and keeps summing.
  public func gatherLinearLayers(_ modules: [Module], batchSize: Int) {
    let sparse = Set(modules.compactMap { ($0 as? TextTower).map { ObjectIdentifier($0.sparseLayer) } })
    for module in modules {
      for case let (_, linear as Linear) in module.namedModules() where !sparse.contains(ObjectIdentifier(linear)) && linear.share == nil
        && 4 * batchSize * (linear.inputSize + linear.outputSize) < linear.inputSize * linear.outputSize {
        linear.gatherRows = { [unowned self] in gather($0) }
        for (_, p) in linear.namedParameters() { notSummed.insert(ObjectIdentifier(p)) }
      }
    }
  }

  /// Splits the first pair of layers of each of `networks` (`splittablePair`: a text tower's, a
  /// feature-row image tower's) among the ranks by the units between them (UnitShare) when summing
  /// the pair's gradients would move more than four times what the split moves a batch (the
  /// batch's sums of the second layer's outputs and its output gradients): the 4,096-wide text
  /// towers, 18 million weights against 2 MB a batch of 64. Each rank then reads the whole batch's
  /// input rows (`trainsOnWholeBatch`).
  public func shareFirstPairs(_ networks: [Module], batchSize: Int) {
    for case let (first, second)? in networks.map(\.splittablePair) {
      let weights = first.inputSize * first.outputSize + second.inputSize * second.outputSize
      guard first.outputSize >= world.size, 4 * 2 * batchSize * second.outputSize < weights else { continue }
      let units = (0..<world.size).map { MPI.share(first.outputSize, rank: $0, size: world.size) }
      first.share = UnitShare(.outputs, units: units[world.rank], exchange: self)
      second.share = UnitShare(.inputs, units: units[world.rank], exchange: self)
      own(first.weight, units.map { Segments.rows($0, width: first.inputSize) })
      if let bias = first.bias { own(bias, units.map { Segments.rows($0, width: 1) }) }
      own(second.weight, units.map { Segments.columns($0, rows: second.outputSize, width: second.inputSize) })
    }
  }

  /// `p` is computed and updated by each rank in its segments.
  private func own(_ p: Parameter, _ segments: [Segments]) {
    p.owned = segments[world.rank]
    notSummed.insert(ObjectIdentifier(p))
    shared.append((p, segments))
  }

  /// Makes the shared pairs' weights whole on every rank, each rank's segments from that rank, and
  /// with `state` the `optimizers`' state of them (as many numbers again, which only a checkpoint
  /// reads). Every rank calls it: after an epoch, before a checkpoint.
  public func settle(_ optimizers: [Optimizer], state: Bool) {
    for (p, segments) in shared {
      let (mine, counts) = (segments[world.rank], segments.map(\.total))
      let tensors = [p.value] + (state ? optimizers.flatMap { $0.state(of: p) } : [])
      // A checkpoint's gathering is not an epoch's: the epoch's figure stays the weights'.
      let count = { (body: () -> Void) in state ? body() : self.counted(p.value.count, in: \.settling, body) }
      // Rows (the first layer's) lie in rank order where the whole tensor has them: gathered in place.
      if segments.allSatisfy({ $0.count == 1 }) && zip(segments, segments.dropFirst()).allSatisfy({ $0.start + $0.length == $1.start }) {
        for t in tensors {
          count { world.gather(inPlace: t.data + segments[0].start, counts: counts) }
          t.noteWrite()
        }
        continue
      }
      // Columns are packed, gathered and unpacked. One buffer for every tensor of the parameter,
      // kept between epochs: fresh pages of this size cost more to fault in than the copies.
      if scratch.count < p.value.count + mine.total { scratch = [Float](repeating: 0, count: p.value.count + mine.total) }
      scratch.withUnsafeMutableBufferPointer { buffer in
        let (all, local) = (buffer.baseAddress!, buffer.baseAddress! + p.value.count)
        for t in tensors {
          mine.pack(t, into: local)
          count { world.gather(local, counts: counts, into: all) }
          var at = 0
          for (rank, s) in segments.enumerated() {
            if rank != world.rank { s.unpack(all + at, into: t) }
            at += s.total
          }
        }
      }
    }
  }

  /// The sum over the ranks of `whole` [B, k], this rank's rows of it.
  public func sumRows(_ whole: Tensor) -> Tensor {
    let (n, k) = (whole.shape[0], whole.shape[1])
    let counts = (0..<world.size).map { MPI.share(n, rank: $0, size: world.size).count * k }
    let part = Tensor(zeros: [counts[world.rank] / k, k])
    counted(whole.count) { world.sumScatter(whole.data, counts: counts, into: part.data) }
    return part
  }

  /// Positions in a batch of `count` rows that this rank computes.
  public func share(_ count: Int) -> Range<Int> { world.share(count) }

  /// This rank's part of `count` items in whole blocks of `block`.
  public func share(_ count: Int, inBlocksOf block: Int) -> Range<Int> {
    MPI.share(count, inBlocksOf: block, rank: world.rank, size: world.size)
  }

  /// Every BatchNorm of `modules` takes its statistics over the whole batch.
  public func synchroniseBatchNorm(_ modules: [Module]) {
    for module in modules {
      for case let (_, norm as BatchNorm) in module.namedModules() { norm.sumAcrossRanks = { [world] in world.sum(&$0) } }
    }
  }

  /// Sums the trainable parameters' gradients of `module` over the ranks: large ones in place, one
  /// tensor at a time (no copy on this side); the small ones (biases, scales, a hash layer) in one
  /// collective, which costs the microseconds of waiting for the other ranks once instead of once each.
  public func sumGradients(of module: Module) {
    let summed = module.namedParameters().map(\.1).filter { $0.isTrainable && !notSummed.contains(ObjectIdentifier($0)) }
    let small = summed.filter { $0.value.count < Self.smallGradient }
    for p in summed where p.value.count >= Self.smallGradient || small.count == 1 {
      counted(p.grad.count) { world.sum(p.grad.data, count: p.grad.count) }
    }
    guard small.count > 1 else { return }
    let total = small.reduce(0) { $0 + $1.grad.count }
    if bucket.count < total { bucket = [Float](repeating: 0, count: total) }
    bucket.withUnsafeMutableBufferPointer { b in
      var at = b.baseAddress!
      for p in small { at.update(from: p.grad.data, count: p.grad.count); at += p.grad.count }
      counted(total) { world.sum(b.baseAddress!, count: total) }
      at = b.baseAddress!
      for p in small { p.grad.data.update(from: at, count: p.grad.count); at += p.grad.count }
    }
  }

  /// Gradients of fewer numbers than this travel together (256 KB).
  static let smallGradient = 1 << 16

  /// The whole batch's rows [b, k] from each rank's part [b_r, k], in rank order.
  public func gather(_ part: Tensor) -> Tensor {
    let all = counted(part.count * world.size) { world.gather(part.scalars) }
    return Tensor(shape: [all.count / part.shape[1], part.shape[1]], values: all)
  }

  /// A batch's loss terms: the sums of the ranks' shares.
  public func sum(_ terms: [Float]) -> [Float] {
    var terms = terms
    world.sum(&terms)
    return terms
  }

  /// A value summed over the ranks.
  public func sum(_ value: Double) -> Double {
    var values = [value]
    world.sum(&values)
    return values[0]
  }

  func sum(_ loss: Trainer.BatchLoss) -> Trainer.BatchLoss {
    let terms = sum([loss.similarity, loss.quantization, loss.labels])
    return Trainer.BatchLoss(similarity: terms[0], quantization: terms[1], labels: terms[2])
  }

  /// Stops the job when a rank's parameters differ from rank 0's (they are meant to stay equal to
  /// the bit): names the ranks and the point.
  public func checkSameParameters(_ modules: [Module], after epoch: Int) {
    var crc: UInt32 = 0
    for module in modules {
      for (_, p) in module.namedParameters() { crc = CRC32.update(crc, p.value.data, count: p.value.count * 4) }
    }
    let sums = world.gather(String(crc, radix: 16))
    let differing = sums.indices.filter { sums[$0] != sums[0] }
    guard !differing.isEmpty else { return }
    if world.isRoot {
      FileHandle.standardError.write(Data(("Error: after epoch \(epoch) the parameters of rank \(differing.map(String.init).joined(separator: ", ")) differ from rank 0's "
        + "(CRC-32 \(sums.joined(separator: " / "))); the ranks no longer train one model. The last checkpoint resumes the run.\n").utf8))
    }
    world.abort(1)
  }

  /// Stops the job before it trains when the ranks did not start alike: `facts` (name, value) are
  /// compared with rank 0's and the first that differs is named.
  public func checkSameStart(_ facts: [(String, String)]) throws {
    let lines = facts.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
    let all = world.gather(lines)
    for (rank, other) in all.enumerated() where other != all[0] {
      let mine = all[0].split(separator: "\n"), theirs = other.split(separator: "\n")
      let short = { (line: Substring) in line.count > 120 ? line.prefix(117) + "…" : line }
      let differing = zip(mine, theirs).first { $0 != $1 }.map { "\(short($0.0)) on rank 0, \(short($0.1)) on rank \(rank)" } ?? "their descriptions differ"
      throw TrainingError(description: "the \(world.size) ranks of this mpirun job did not start alike: \(differing); start every rank with the same cmh, corpus and options")
    }
  }
}

extension DataParallel {
  /// Refuses a job whose ranks were started differently (the `recipe` notes of a run, and `more`),
  /// or whose batches leave a rank no rows.
  public func checkStart(corpus: Corpus, recipe: [String: String], batchSize: Int, pairs: Int, more: [(String, String)] = []) throws {
    let last = pairs % batchSize
    guard min(batchSize, pairs) >= world.size, last == 0 || last >= world.size else {
      throw TrainingError(description: "--batch-size \(batchSize) over \(pairs) training pairs leaves a batch of \(last == 0 ? batchSize : last) rows "
                          + "for \(world.size) ranks; every rank needs at least one row of every batch (choose another --batch-size)")
    }
    try checkSameStart([("cmh build", Self.executableChecksum), ("corpus", corpus.directory.standardizedFileURL.path), ("pairs", String(corpus.pairs.count)),
                        ("training pairs", String(pairs))] + more + recipe.sorted { $0.key < $1.key }.flatMap { Self.fields($0.key, $0.value) })
  }

  /// A JSON object's top-level fields one by one ("settings.epochs"), so that a difference is named.
  static func fields(_ name: String, _ json: String) -> [(String, String)] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [(name, json)] }
    return object.keys.sorted().map { key in
      let value = (try? JSONSerialization.data(withJSONObject: object[key]!, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) }
      return ("\(name).\(key)", value ?? "\(object[key]!)")
    }
  }
}

extension DataParallel {
  /// The CRC-32 of this process's executable: ranks of one job run the same build of cmh.
  static var executableChecksum: String {
    guard let url = Bundle.main.executableURL, let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return "unknown" }
    return String(data.withUnsafeBytes { CRC32.of($0.baseAddress!, count: data.count) }, radix: 16)
  }
}

extension Optional where Wrapped == DataParallel {
  /// `make()` on the first rank of each machine, then on the others (what that rank writes, such as
  /// a corpus's pixel cache, the others on its machine read; machines with their own copies of a
  /// corpus each make their own).
  public func rootFirst<T>(_ make: () throws -> T) throws -> T {
    guard let world = self?.world else { return try make() }
    let first = world.localRank == 0
    if !first { world.barrier() }
    // The machine's other ranks sleep meanwhile: the first takes every core of the machine.
    let threads = Threads.count
    if first { Threads.set(ProcessInfo.processInfo.activeProcessorCount) }
    let result = Result { try make() }
    if first { Threads.set(threads); world.barrier() }
    return try result.get()
  }
}
