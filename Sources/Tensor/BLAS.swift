// BLAS: row-major matrix products through OpenBLAS's cblas_sgemm.

import CBLAS
import Platform

public enum BLAS {
  /// C = alpha·op(A)·op(B) + beta·C, row-major; op(A) is m×k, op(B) is k×n, C is m×n.
  /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
  @inline(__always)
  public static func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = Threads.count  // applies CMH_THREADS before the first product
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// Product of two rank-2 tensors: [m, k] × [k, n] → [m, n] (either may be transposed).
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: needs two matrices, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
    // β = 0: gemm writes every element of C and reads none (an empty product: zeros).
    let c = k == 0 ? Tensor(zeros: [m, n]) : Tensor(uninitialized: [m, n])
    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
         a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1], c: c.data, ldc: n)
    return c
  }
}
