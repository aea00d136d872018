// cmh under mpirun (Open MPI): two ranks train as one process with the whole batch, encode to
// the same bytes, resume each other's checkpoints, refuse ranks started differently and end the
// job when one rank fails. Skipped where Open MPI is not installed.

import Foundation
import Platform
import XCTest

final class MPICommandTests: XCTestCase {
  static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")
  var folder: URL!

  override func setUpWithError() throws {
    guard FileManager.default.isExecutableFile(atPath: Self.mpirun.path) else {
      throw XCTSkip("Open MPI is not installed (apt-get install openmpi-bin; the Makefile does)")
    }
    if let problem = Self.cannotStartJobs { throw XCTSkip("mpirun cannot start two processes here: \(problem)") }
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-mpi-\(UUID().uuidString)")
    let made = try runCMH(["corpus", "make-shapes", "--out", path("corpus"), "--pairs", "400", "--size", "32", "--seed", "3", "--quiet"])
    XCTAssertEqual(made.0, 0, made.2)
  }

  override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  /// What mpirun says when it cannot start a job of two plain processes (a container without the
  /// shared memory or network it wants); nil when it can.
  static let cannotStartJobs: String? = {
    let process = Process()
    process.executableURL = mpirun
    process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", "/bin/true"]
    guard let (_, stderr) = try? ChildProcess.run(process), process.terminationStatus != 0 else { return nil }
    return String(decoding: stderr, as: UTF8.self).split(separator: "\n").prefix(3).joined(separator: " ")
  }()

  /// `mpirun -np N cmh …` (a colon separates the programs of ranks started differently).
  func mpirun(_ ranks: Int, _ arguments: [String], more: [String] = [], environment: [String: String] = [:]) throws -> CMHRun {
    var line = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", Self.binary] + arguments
    if !more.isEmpty { line += [":", "-np", "1", Self.binary] + more }
    let process = Process()
    process.executableURL = Self.mpirun
    process.arguments = line
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let (stdout, stderr) = try ChildProcess.run(process)
    return CMHRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
                  crashed: false, timedOut: false)
  }

  let training = ["--bits", "16", "--arch", "compact10", "--input-size", "32", "--width", "16", "--batch-size", "40", "--label-epochs", "0"]

  /// The epoch rows of a training log.
  func epochs(_ log: String) throws -> [[String: Any]] {
    try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
  }

  func testTwoRanksTrainAndEncodeAsOneProcess() throws {
    let one = try runCMH(["train", path("corpus")] + training + ["--epochs", "2", "--out", path("one.cmh")])
    XCTAssertEqual(one.0, 0, one.2)
    let two = try mpirun(2, ["train", path("corpus")] + training + ["--epochs", "2", "--out", path("two.cmh")])
    XCTAssertEqual(two.status, 0, two.stderr)
    XCTAssertEqual(two.stdout.components(separatedBy: "wrote ").count, 1, "rank 0 alone prints: \(two.stdout)")
    // The first epoch's losses agree up to the order of float sums (the ranks' gradients are
    // summed instead of one product over the whole batch). The text tower's quantization term
    // drifts most: RMSprop's first step is ±10·rate whatever a gradient's size, so weights whose
    // gradient is near zero step by the sign of rounding (docs/mpi.md).
    let (a, b) = (try epochs(path("one.cmh.log.jsonl"))[0], try epochs(path("two.cmh.log.jsonl"))[0])
    for (term, tolerance) in [("image_similarity", 1e-4), ("image_quantization", 1e-4), ("text_similarity", 1e-4), ("text_quantization", 5e-3)] {
      let (x, y) = (try XCTUnwrap(a[term] as? Double, term), try XCTUnwrap(b[term] as? Double, term))
      XCTAssertLessThan(abs(x - y) / abs(x), tolerance, "\(term): one process \(x), two ranks \(y)")
    }
    // A label epoch shares its batches the same way.
    let labelRun = training.dropLast(2) + ["--label-epochs", "1", "--epochs", "1"]
    XCTAssertEqual(try runCMH(["train", path("corpus")] + labelRun + ["--out", path("labels1.cmh")]).0, 0)
    XCTAssertEqual(try mpirun(2, ["train", path("corpus")] + labelRun + ["--out", path("labels2.cmh")]).status, 0)
    let (l1, l2) = (try epochs(path("labels1.cmh.log.jsonl")), try epochs(path("labels2.cmh.log.jsonl")))
    XCTAssertEqual(l1.map { $0["epoch_kind"] as? String }, ["labels", nil])
    let (x, y) = (try XCTUnwrap(l1[0]["image_labels"] as? Double), try XCTUnwrap(l2[0]["image_labels"] as? Double))
    XCTAssertLessThan(abs(x - y) / abs(x), 1e-4, "label epoch: one process \(x), two ranks \(y)")
    // Encoding splits the pairs; the index files are the same bytes. On a corpus without a pixel
    // cache each rank decodes only its part and writes no cache.
    XCTAssertEqual(try runCMH(["encode", path("two.cmh"), path("corpus"), "--out", path("index1")]).0, 0)
    let cache = path("corpus/cache")
    XCTAssertTrue(FileManager.default.fileExists(atPath: cache + "/pixels-32.cmhpix"), "one process keeps the decoded pixels")
    try FileManager.default.removeItem(atPath: cache)
    let encoded = try mpirun(2, ["encode", path("two.cmh"), path("corpus"), "--out", path("index2")])
    XCTAssertEqual(encoded.status, 0, encoded.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: cache + "/pixels-32.cmhpix"), "the ranks decoded their parts, not the corpus")
    for name in ["image.cmhindex", "text.cmhindex", "query-image.cmhindex", "query-text.cmhindex"] {
      XCTAssertEqual(FileManager.default.contents(atPath: path("index1/" + name)), FileManager.default.contents(atPath: path("index2/" + name)), name)
    }
    // Evaluation splits the pairs to encode and the queries to score; every figure is the same as
    // one process's with as many threads as a rank has (the towers' float outputs, which re-ranking
    // reads, can differ in their last bits with the thread count: docs/mpi.md).
    let evaluated = try runCMH(["eval", path("two.cmh"), path("corpus"), "--json", "--quiet"], environment: ["CMH_THREADS": "1"])
    try FileManager.default.removeItem(atPath: cache)
    let evaluatedByRanks = try mpirun(2, ["eval", path("two.cmh"), path("corpus"), "--json", "--quiet"], environment: ["CMH_THREADS": "1"])
    XCTAssertEqual(evaluatedByRanks.status, 0, evaluatedByRanks.stderr)
    XCTAssertEqual(evaluatedByRanks.stdout, evaluated.1)
    XCTAssertTrue(evaluated.1.contains("\"map\""), evaluated.1)
    // Distillation shares its batches the same way.
    XCTAssertEqual(try runCMH(["distill", path("one.cmh"), path("corpus"), "--out", path("small1.cmh"), "--epochs", "1", "--batch-size", "40"]).0, 0)
    let distilled = try mpirun(2, ["distill", path("one.cmh"), path("corpus"), "--out", path("small2.cmh"), "--epochs", "1", "--batch-size", "40"])
    XCTAssertEqual(distilled.status, 0, distilled.stderr)
    let (c, d) = (try epochs(path("small1.cmh.log.jsonl"))[0], try epochs(path("small2.cmh.log.jsonl"))[0])
    for term in ["image_contextual", "image_other", "text_contextual", "text_other"] {
      let (x, y) = (c[term] as! Double, d[term] as! Double)
      XCTAssertLessThan(abs(x - y) / abs(x), 1e-4, "\(term): one process \(x), two ranks \(y)")
    }
    // Two ranks' checkpoint resumes in one process (the batch is the whole job's either way).
    let resumed = try runCMH(["train", path("corpus"), "--out", path("two.cmh"), "--resume", "--epochs", "3"])
    XCTAssertEqual(resumed.0, 0, resumed.2)
    XCTAssertEqual(try epochs(path("two.cmh.log.jsonl")).map { $0["epoch"] as? Int }, [1, 2, 3])
  }

  /// A corpus of feature rows: both towers are MLPs, and the ranks split the first pair of layers
  /// of each by units (the image tower's reading the whole batch's rows), yet train as one process.
  func testTwoRanksTrainAFeatureCorpusAsOneProcess() throws {
    XCTAssertEqual(try runCMH(["corpus", "make-features", "--like", "mirflickr", "--pairs", "600", "--out", path("features"), "--quiet"]).0, 0)
    let options = ["train", path("features"), "--bits", "16", "--epochs", "2", "--batch-size", "40"]
    XCTAssertEqual(try runCMH(options + ["--out", path("f1.cmh")]).0, 0)
    let two = try mpirun(2, options + ["--out", path("f2.cmh")])
    XCTAssertEqual(two.status, 0, two.stderr)
    let b = try epochs(path("f2.cmh.log.jsonl"))[0]
    try assertSameFirstEpoch(path("f1.cmh.log.jsonl"), path("f2.cmh.log.jsonl"), similarity: 1e-4, quantization: 5e-3, "fp32")
    // Both pairs' weights are made whole after each epoch (RMSprop's mean squares only for a
    // checkpoint): the image tower's 512 → 1,024 → 1,024 and the text tower's 1,386 → 1,024 → 1,024,
    // 4 bytes a number.
    let pairs = (512 * 1024 + 1024 + 1024 * 1024) + (1386 * 1024 + 1024 + 1024 * 1024)
    XCTAssertEqual(try XCTUnwrap(b["ranks_settle_megabytes"] as? Double), (Double(pairs * 4) / 1e5).rounded() / 10)
    // In bf16 each rank's dense layers multiply the bf16 copies its optimiser steps wrote of its rows
    // and columns, one process those of whole layers: the same first epoch, within what rounding
    // each layer's input to bf16 allows (a last-bit difference of a float sum can move a number by
    // 2⁻⁸; here 0–7e-5, where a wrong offset into a rank's copy gave 3e-3 to 0.2).
    guard (try? Precision.configure(.bf16)) != nil else { return }
    _ = try? Precision.configure(nil)
    let bf16 = options + ["--precision", "bf16"]
    XCTAssertEqual(try runCMH(bf16 + ["--out", path("g1.cmh")]).0, 0)
    let twoBF16 = try mpirun(2, bf16 + ["--out", path("g2.cmh")])
    XCTAssertEqual(twoBF16.status, 0, twoBF16.stderr)
    try assertSameFirstEpoch(path("g1.cmh.log.jsonl"), path("g2.cmh.log.jsonl"), similarity: 1e-3, quantization: 5e-3, "bf16")
  }

  /// The first-epoch loss terms of one process's log and two ranks' agree within relative tolerances.
  private func assertSameFirstEpoch(_ one: String, _ two: String, similarity: Double, quantization: Double, _ label: String) throws {
    let (a, b) = (try epochs(one)[0], try epochs(two)[0])
    for tower in ["image", "text"] {
      for (term, tolerance) in [("similarity", similarity), ("quantization", quantization)] {
        let key = "\(tower)_\(term)"
        let (x, y) = (try XCTUnwrap(a[key] as? Double, key), try XCTUnwrap(b[key] as? Double, key))
        XCTAssertLessThan(abs(x - y) / abs(x), tolerance, "\(label), \(key): one process \(x), two ranks \(y)")
      }
    }
  }

  /// kill -9 of a rank mid-run: mpirun ends the job naming the rank, and the checkpoint resumes to
  /// the model of a run that was not interrupted; so does the checkpoint of a job stopped by Ctrl-C.
  func testAKilledRankEndsTheJobAndTheCheckpointResumesToTheSameModel() throws {
    let options = ["train", path("corpus")] + training + ["--epochs", "4"]
    XCTAssertEqual(try mpirun(2, options + ["--out", path("whole.cmh")]).status, 0)
    // Once the first checkpoint is written, rank 1 (the newest cmh of the job) is killed.
    let killed = try interruptedJob(options, out: "cut", signal: ["-9", "-n", "-f", "cut.cmh"])
    XCTAssertTrue(killed.contains("exited on signal 9"), killed)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("cut.cmh")))
    // Ctrl-C reaches every rank (the terminal signals the whole process group): they stop at the
    // same batch, make the split text layers whole, and rank 0 saves a checkpoint.
    let stopped = try interruptedJob(options, out: "stopped", signal: ["-INT", "-f", "^\(Self.binary) train .*stopped.cmh"])  // the ranks, not mpirun
    XCTAssertTrue(stopped.contains("interrupted in epoch"), stopped)
    for name in ["cut", "stopped"] {
      let resumed = try mpirun(2, ["train", path("corpus"), "--out", path(name + ".cmh"), "--resume"])
      XCTAssertEqual(resumed.status, 0, resumed.stderr)
      XCTAssertEqual(FileManager.default.contents(atPath: path(name + ".cmh")), FileManager.default.contents(atPath: path("whole.cmh")), name)
    }
  }

  static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cmh").path

  /// Runs `cmh options --out OUT.cmh` on two ranks and, once its first checkpoint is written,
  /// signals its processes with pkill's `signal` arguments; returns what the job said on stderr
  /// (it must have failed).
  private func interruptedJob(_ options: [String], out: String, signal: [String]) throws -> String {
    let process = Process()
    process.executableURL = Self.mpirun
    process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", Self.binary] + options + ["--out", path(out + ".cmh")]
    let interrupt = DispatchWorkItem { [self] in
      while !FileManager.default.fileExists(atPath: path(out + ".cmh.ckpt")) { usleep(20_000) }
      let pkill = Process()
      pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
      pkill.arguments = signal
      try? pkill.run()
      pkill.waitUntilExit()
    }
    let (_, stderr) = try ChildProcess.run(process) { _ in DispatchQueue.global().async(execute: interrupt) }
    XCTAssertNotEqual(process.terminationStatus, 0, "\(out): the job was not interrupted")
    return String(decoding: stderr, as: UTF8.self)
  }

  func testRanksStartedDifferentlyAreRefusedNamingTheDifference() throws {
    let run = try mpirun(1, ["train", path("corpus")] + training + ["--epochs", "1", "--out", path("m.cmh")],
                         more: ["train", path("corpus")] + training + ["--epochs", "2", "--out", path("m.cmh")])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.stderr.contains("did not start alike") && run.stderr.contains("settings.epochs=1 on rank 0, settings.epochs=2 on rank 1"), run.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("m.cmh")))
  }

  func testAFailingRankEndsTheJobNamingIt() throws {
    let run = try mpirun(1, ["train", path("corpus")] + training + ["--epochs", "1", "--out", path("m.cmh")],
                         more: ["train", path("missing")] + training + ["--epochs", "1", "--out", path("m.cmh")])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.stderr.contains("[rank 1 of 2] Error:") && run.stderr.contains("missing"), run.stderr)
  }

  func testCommandsThatDoNotShareTheirWorkRefuseToRunUnderMPI() throws {
    let run = try mpirun(2, ["corpus", "make-shapes", "--out", path("other"), "--pairs", "20"])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.stderr.contains("does not share its work among mpirun's ranks"), run.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("other")))
  }

  func testInfoNamesTheLibraryAndTheRanks() throws {
    let run = try mpirun(2, ["info"])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("Open MPI") && run.stdout.contains("rank 0 of 2"), run.stdout)
  }
}
