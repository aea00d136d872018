// MachineInfo: what the engine runs on — processor, vector features, BLAS library and kernel,
// threads, and the processor the binary was compiled for — for `cmh info` and every benchmark.

import CBLAS
import Foundation

public struct MachineInfo: Codable, Sendable {
  public var processor: String
  public var vendor: String
  public var family: Int
  public var model: Int
  public var vectorLevel: String
  public var features: [String]
  public var cores: Int
  public var blas: String
  public var blasPackage: String?
  public var kernel: String
  /// How the kernel was chosen: "openblas" (its own detection), "cmh" (restarted with a better
  /// one) or "user" (OPENBLAS_CORETYPE set by the user).
  public var kernelChosenBy: String
  /// The kernel OpenBLAS chose first, when cmh replaced it.
  public var kernelReplaced: String?
  public var kernelFitsProcessor: Bool
  public var threads: Int
  public var blasThreads: Int
  public var buildTarget: String
  /// The MPI library and this process's rank under mpirun ("Open MPI v4.1.4; rank 0 of 2").
  public var mpi: String?
  /// The precision the towers' convolutions run in, and why (Precision).
  public var precision: String?

  enum CodingKeys: String, CodingKey {
    case processor, vendor, family, model, features, cores, blas, kernel, threads
    case vectorLevel = "vector_level", blasPackage = "blas_package", kernelChosenBy = "kernel_chosen_by"
    case kernelReplaced = "kernel_replaced", kernelFitsProcessor = "kernel_fits_processor"
    case blasThreads = "blas_threads", buildTarget = "build_target", mpi, precision
  }

  /// This process's machine, as it runs now.
  public static func current() -> MachineInfo {
    let cpu = CPUFeatures.current, kernel = BLASKernel.current
    let chosenBy = BLASKernel.replaced != nil ? "cmh" : BLASKernel.userSetting != nil ? "user" : "openblas"
    return MachineInfo(
      processor: cpu.brand.isEmpty ? "unknown" : cpu.brand, vendor: cpu.vendor, family: cpu.family, model: cpu.model,
      vectorLevel: cpu.level.description, features: cpu.features, cores: ProcessInfo.processInfo.activeProcessorCount,
      blas: BLASKernel.configuration, blasPackage: debianVersion("libopenblas0-pthread"), kernel: kernel,
      kernelChosenBy: chosenBy, kernelReplaced: BLASKernel.replaced,
      kernelFitsProcessor: BLASKernel.level(of: kernel).map { $0 >= cpu.level } ?? true,
      threads: Threads.count, blasThreads: Int(openblas_get_num_threads()), buildTarget: buildTarget,
      mpi: MPI.world.map { "\($0.library); rank \($0.rank) of \($0.size)" },
      precision: "\(Precision.choice.precision.rawValue) (\(Precision.choice.reason))")
  }

  /// The -target-cpu the Makefile compiled for (it passes -DCMH_TARGET_<cpu>).
  public static var buildTarget: String {
    #if CMH_TARGET_znver4
    return "znver4"
    #elseif CMH_TARGET_icelake_server
    return "icelake-server"
    #elseif CMH_TARGET_haswell
    return "haswell"
    #elseif CMH_TARGET_x86_64
    return "x86-64"
    #else
    return "compiler default"
    #endif
  }

  /// The kernel and how it came to run.
  public var kernelDescription: String {
    switch kernelChosenBy {
    case "cmh": return kernel + " (cmh chose it: OpenBLAS had picked \(kernelReplaced ?? "?"))"
    case "user": return kernel + " (OPENBLAS_CORETYPE)"
    default: return kernel + (kernelFitsProcessor ? "" : " (below what this processor offers)")
    }
  }

  /// The lines people read: one fact a line, name and value.
  public var lines: [(String, String)] {
    [
      ("processor", "\(processor) (\(vendor), family \(family), model \(model)), \(cores) cores"),
      ("vector units", "\(vectorLevel): \(features.joined(separator: " "))"),
      ("BLAS", blas + (blasPackage.map { " (Debian \($0))" } ?? "")),
      ("BLAS kernel", kernelDescription),
      ("threads", "\(threads) engine, \(blasThreads) OpenBLAS (CMH_THREADS)"),
      ("built for", buildTarget),
      ("MPI", mpi ?? "none: one process (`mpirun -np N cmh …` shares training, encoding and evaluation)"),
    ] + (precision.map { [("precision", $0 + "; --precision or CMH_PRECISION: auto, fp32, bf16")] } ?? [])
  }

  /// The installed version of a Debian package, nil where dpkg has no record of it.
  static func debianVersion(_ package: String) -> String? {
    guard let status = try? String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8) else { return nil }
    for entry in status.components(separatedBy: "\n\n") where entry.hasPrefix("Package: \(package)\n") {
      for line in entry.split(separator: "\n") where line.hasPrefix("Version: ") { return String(line.dropFirst(9)) }
    }
    return nil
  }
}
