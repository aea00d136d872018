// MPI: the processes of one `mpirun` job, through Open MPI's libmpi found at run time. Without
// mpirun (or with one rank) nothing is loaded and `MPI.world` is nil: cmh runs as one process.
// Open MPI's handles (communicator, datatypes, operations) are addresses of its global objects,
// which is Open MPI's ABI; MPICH spells them as integers and is not supported.

import Foundation

public final class MPI: @unchecked Sendable {
  public let rank: Int, size: Int
  /// MPI_Get_library_version's first line ("Open MPI v4.1.4, …").
  public let library: String

  private typealias Handle = UnsafeMutableRawPointer
  private let comm: Handle, float: Handle, double: Handle, byte: Handle, int: Handle, sumOp: Handle, maxOp: Handle
  private let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
  private let allgatherv: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Handle, Handle) -> Int32
  private let reduceScatter: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<Int32>?, Handle, Handle, Handle) -> Int32
  private let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
  private let abortJob: @convention(c) (Handle, Int32) -> Int32
  private let finalize: @convention(c) () -> Int32
  private let ibarrier: @convention(c) (Handle, UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Int32
  private let test: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?) -> Int32

  /// The job this process belongs to; nil outside mpirun. Set once by `join()` at start.
  public private(set) nonisolated(unsafe) static var world: MPI?

  /// The number of ranks mpirun says this process is one of (1 outside mpirun), read from the
  /// environment without loading MPI.
  public static var launchedRanks: Int {
    Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] ?? "") ?? 1
  }

  /// Joins the job when started by mpirun with more than one rank: loads libmpi and initialises
  /// it. Throws when mpirun started this process and Open MPI's library cannot be loaded.
  public static func join() throws {
    guard world == nil, launchedRanks > 1 else { return }
    world = try MPI()
    if !world!.isRoot { _ = freopen("/dev/null", "w", stdout) }  // rank 0 alone prints results
  }

  private init() throws {
    guard let lib = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL) ?? dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL) else {
      throw FileError(path: "libmpi.so.40", problem: "started by mpirun with \(MPI.launchedRanks) ranks, but Open MPI's library cannot be loaded "
                      + "(\(String(cString: dlerror()))); install it: apt-get install openmpi-bin libopenmpi-dev")
    }
    func symbol(_ name: String) throws -> Handle {
      guard let s = dlsym(lib, name) else { throw FileError(path: "libmpi.so.40", problem: "has no \(name): is it Open MPI (MPICH is not supported)?") }
      return s
    }
    func function<F>(_ name: String, _ type: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: type) }
    comm = try symbol("ompi_mpi_comm_world"); float = try symbol("ompi_mpi_float"); double = try symbol("ompi_mpi_double")
    byte = try symbol("ompi_mpi_byte"); int = try symbol("ompi_mpi_int")
    sumOp = try symbol("ompi_mpi_op_sum"); maxOp = try symbol("ompi_mpi_op_max")
    allreduce = try function("MPI_Allreduce", type(of: allreduce))
    allgatherv = try function("MPI_Allgatherv", type(of: allgatherv))
    reduceScatter = try function("MPI_Reduce_scatter", type(of: reduceScatter))
    bcast = try function("MPI_Bcast", type(of: bcast))
    abortJob = try function("MPI_Abort", type(of: abortJob))
    finalize = try function("MPI_Finalize", type(of: finalize))
    ibarrier = try function("MPI_Ibarrier", type(of: ibarrier))
    test = try function("MPI_Test", type(of: test))
    let initThread = try function("MPI_Init_thread", (@convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?, Int32, UnsafeMutablePointer<Int32>) -> Int32).self)
    let commQuery = try function("MPI_Comm_rank", (@convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32).self)
    let commSize = try function("MPI_Comm_size", (@convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32).self)
    let version = try function("MPI_Get_library_version", (@convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32).self)
    var provided: Int32 = 0
    // Ranks on one machine pass large messages through shared memory by copy-in, copy-out rather
    // than by cross-memory attach, which pins pages in a system call per message and can fail where
    // ptrace is restricted (containers); measured a little faster on two ranks (docs/mpi.md). An
    // `--mca btl_vader_single_copy_mechanism` given to mpirun wins.
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0)
    // Serialized: one thread at a time calls MPI, not always the main one (Open MPI: 2).
    guard initThread(nil, nil, 2, &provided) == 0 else { throw FileError(path: "libmpi.so.40", problem: "MPI_Init_thread failed") }
    var r: Int32 = 0, s: Int32 = 0
    _ = commQuery(comm, &r); _ = commSize(comm, &s)
    rank = Int(r); size = Int(s)
    var text = [CChar](repeating: 0, count: 8192), length: Int32 = 0
    _ = version(&text, &length)
    library = String(cString: text).split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "Open MPI"
  }

  public var isRoot: Bool { rank == 0 }

  /// This rank's place among the ranks mpirun started on the same machine (0 for the first).
  public var localRank: Int { Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_RANK"] ?? "") ?? rank }

  // MARK: Collectives (every rank calls each one, in the same order)

  /// Element-wise sum over the ranks, in place.
  public func sum(_ values: inout [Float]) { values.withUnsafeMutableBufferPointer { sum($0.baseAddress!, count: $0.count) } }
  public func sum(_ values: inout [Double]) { values.withUnsafeMutableBytes { reduce($0.baseAddress!, $0.count / 8, double, sumOp) } }
  public func maximum(_ values: inout [Int32]) { values.withUnsafeMutableBytes { reduce($0.baseAddress!, $0.count / 4, int, maxOp) } }

  /// `count` floats at `values` summed over the ranks, in place (no copy on this side).
  public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) { reduce(UnsafeMutableRawPointer(values), count, float, sumOp) }

  private func reduce(_ values: UnsafeMutableRawPointer, _ count: Int, _ type: Handle, _ op: Handle) {
    guard count > 0 else { return }
    // Open MPI's MPI_IN_PLACE is the address 1: the receive buffer is also what is sent.
    _ = allreduce(UnsafeRawPointer(bitPattern: 1), values, Int32(count), type, op, comm)
  }

  /// The element-wise sum over the ranks of `values`, of which this rank receives its part: the
  /// `counts[rank]` numbers after the first ranks' (`counts` sums to the length of `values`).
  public func sumScatter(_ values: UnsafePointer<Float>, counts: [Int], into part: UnsafeMutablePointer<Float>) {
    let counts = counts.map(Int32.init)
    _ = reduceScatter(values, part, counts, float, sumOp, comm)
  }

  /// Every rank's `counts[rank]` numbers at `local`, concatenated in rank order into `all`.
  public func gather(_ local: UnsafePointer<Float>, counts: [Int], into all: UnsafeMutablePointer<Float>) {
    let counts = counts.map(Int32.init)
    _ = allgatherv(local, counts[rank], float, all, counts, Self.offsets(counts), float, comm)
  }

  /// Every rank's `local` rows concatenated in rank order (counts may differ between ranks).
  public func gather(_ local: [Float]) -> [Float] { gather(local, float).values }
  public func gather(_ local: [Double]) -> [Double] { gather(local, double).values }

  /// Every rank's `counts[rank]` numbers, already in place in `all` after the first ranks', in rank order.
  public func gather(inPlace all: UnsafeMutablePointer<Float>, counts: [Int]) {
    let counts = counts.map(Int32.init)
    _ = allgatherv(UnsafeRawPointer(bitPattern: 1), 0, float, all, counts, Self.offsets(counts), float, comm)
  }

  /// Every rank's text, in rank order (to compare what each rank started with).
  public func gather(_ text: String) -> [String] {
    let (bytes, counts) = gather(Array(text.utf8), byte)
    var start = 0
    return counts.map { count in
      defer { start += Int(count) }
      return String(decoding: bytes[start..<(start + Int(count))], as: UTF8.self)
    }
  }

  /// The ranks' values concatenated in rank order, and how many each rank gave.
  private func gather<T: Numeric>(_ local: [T], _ type: Handle) -> (values: [T], counts: [Int32]) {
    var counts = [Int32](repeating: 0, count: size)
    counts[rank] = Int32(local.count)
    maximum(&counts)
    let offsets = Self.offsets(counts)
    var out = [T](repeating: 0, count: Int(counts.reduce(0, +)))
    local.withUnsafeBytes { s in out.withUnsafeMutableBytes { r in _ = allgatherv(s.baseAddress, Int32(local.count), type, r.baseAddress, counts, offsets, type, comm) } }
    return (out, counts)
  }

  /// Where each rank's part starts in a concatenation of parts of `counts`.
  private static func offsets(_ counts: [Int32]) -> [Int32] { counts.indices.map { counts[..<$0].reduce(0, +) } }

  /// Rank 0's flag on every rank (a decision made once: stop, save).
  public func agree(_ flag: Bool) -> Bool {
    var value: Int32 = isRoot && flag ? 1 : 0
    _ = bcast(&value, 1, int, 0, comm)
    return value != 0
  }

  /// Waits until every rank gets here, sleeping between looks (MPI's own waits spin, which would
  /// take a core from a rank still working, such as one decoding images on every core).
  public func barrier() {
    var request: UnsafeMutableRawPointer?
    var done: Int32 = 0
    _ = ibarrier(comm, &request)
    while test(&request, &done, nil) == 0 && done == 0 { usleep(2_000) }
  }

  /// Ends the whole job (every rank) with `code`, after this rank's message.
  public func abort(_ code: Int32) -> Never {
    _ = abortJob(comm, code)
    exit(code)
  }

  /// The end of an MPI process; without it mpirun reports the job as failed.
  public func finish() { _ = finalize() }

  /// Ends this rank with a command's `status` and final `message`: a failure on any rank ends the
  /// whole job (the others would wait for it forever), naming the rank.
  public func end(status: Int32, message: String) -> Never {
    guard status != 0 else {
      if isRoot && !message.isEmpty { print(message) }
      finish()
      exit(0)
    }
    FileHandle.standardError.write(Data("[rank \(rank) of \(size)] \(message)\n".utf8))
    abort(status)
  }

  /// The part of `count` items (a batch's rows) that `rank` takes: contiguous, the first
  /// `count % size` ranks one more.
  public static func share(_ count: Int, rank: Int, size: Int) -> Range<Int> {
    let base = count / size, extra = count % size
    let start = rank * base + min(rank, extra)
    return start..<(start + base + (rank < extra ? 1 : 0))
  }

  public func share(_ count: Int) -> Range<Int> { Self.share(count, rank: rank, size: size) }

  /// The same in whole blocks of `block` items (the last block may be short), so that each rank's
  /// part starts where one process's batches of that size start.
  public static func share(_ count: Int, inBlocksOf block: Int, rank: Int, size: Int) -> Range<Int> {
    let blocks = share((count + block - 1) / block, rank: rank, size: size)
    return min(blocks.lowerBound * block, count)..<min(blocks.upperBound * block, count)
  }
}
