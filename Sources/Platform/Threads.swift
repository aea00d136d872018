// Threads: one thread count (CMH_THREADS, default all cores, shared among the ranks mpirun starts
// on this machine) for OpenBLAS and the engine's own loops.

import CBLAS
import Dispatch
import Foundation

public enum Threads {
  /// The number of threads the engine uses; set from `CMH_THREADS` on first use.
  public private(set) static var count: Int = {
    let environment = ProcessInfo.processInfo.environment
    let ranksHere = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
    let cores = ProcessInfo.processInfo.activeProcessorCount / max(1, ranksHere)
    let requested = environment["CMH_THREADS"].flatMap { Int($0) } ?? cores
    let n = max(1, requested)
    openblas_set_num_threads(Int32(n))
    return n
  }()

  /// Sets the thread count for OpenBLAS and for `parallelFor`.
  public static func set(_ n: Int) {
    precondition(n >= 1, "Threads.set: need at least one thread, got \(n)")
    _ = count
    count = n
    openblas_set_num_threads(Int32(n))
  }

  /// Runs `body(worker, range)` on `workers` threads, each with a contiguous share of 0..<n, with
  /// OpenBLAS on one thread meanwhile: each worker calls sgemm on its own data, and no OpenBLAS
  /// thread spins on a core a worker needs. With one worker, OpenBLAS keeps all threads.
  public static func splitWork(_ n: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
    let workers = max(1, min(count, n))
    if workers == 1 { body(0, 0..<n); return }
    openblas_set_num_threads(1)
    defer { openblas_set_num_threads(Int32(count)) }
    withoutActuallyEscaping(body) { body in
      DispatchQueue.concurrentPerform(iterations: workers) { w in body(w, (n * w / workers)..<(n * (w + 1) / workers)) }
    }
  }

  /// The number of workers `splitWork(n)` uses.
  public static func workers(for n: Int) -> Int { max(1, min(count, n)) }

  /// Runs `body(i)` for i in 0..<n, spread over the threads in contiguous blocks.
  /// Each i must write only its own memory, so results do not depend on scheduling.
  public static func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    let workers = min(count, n)
    if workers <= 1 {
      for i in 0..<n { body(i) }
      return
    }
    withoutActuallyEscaping(body) { body in
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        let start = n * w / workers, end = n * (w + 1) / workers
        for i in start..<end { body(i) }
      }
    }
  }
}
