// Sixteen lanes at a time with clang's vector extension (llvm.sqrt on a vector has no errno, so it
// becomes sqrtps), compiled for AVX-512, AVX2 and the baseline and picked when the library loads.

#include "cmh_optimizer.h"
#include <string.h>

typedef float v16 __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)  // ifunc dispatch: glibc
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// Macros, not functions: a function taking a 16-lane vector would change the call ABI per clone.
#define LOAD(x, p) v16 x; memcpy(&x, (p), sizeof x)
#define STORE(p, x) memcpy((p), &x, sizeof x)
// `ahead` elements on: where a rank updates its columns of a layer (UnitShare), one segment a
// row, the same place in the next segment, which the hardware's prefetcher reaches only after a
// few misses at each segment's start; 4 KB on in one long run.
#define PREFETCH(p) __builtin_prefetch((p) + ahead, 1)

CLONES
void cmh_rmsprop_update(float *w, const float *g, float *v, long n, float alpha, float lr, float eps, long ahead) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    PREFETCH(w + i); PREFETCH(g + i); PREFETCH(v + i);
    LOAD(gi, g + i); LOAD(vi, v + i); LOAD(wi, w + i);
    vi = alpha * vi + (1 - alpha) * gi * gi;
    wi -= lr * gi / (__builtin_elementwise_sqrt(vi) + eps);
    STORE(v + i, vi); STORE(w + i, wi);
  }
  for (; i < n; i++) {
    v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i];
    w[i] -= lr * g[i] / (__builtin_sqrtf(v[i]) + eps);
  }
}

CLONES
void cmh_adam_update(float *w, const float *g, float *m, float *v, long n, float beta1, float beta2,
                     float step_size, float c2, float eps, long ahead) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    PREFETCH(w + i); PREFETCH(g + i); PREFETCH(m + i); PREFETCH(v + i);
    LOAD(gi, g + i); LOAD(mi, m + i); LOAD(vi, v + i); LOAD(wi, w + i);
    mi = beta1 * mi + (1 - beta1) * gi;
    vi = beta2 * vi + (1 - beta2) * gi * gi;
    wi -= step_size * mi / (__builtin_elementwise_sqrt(vi) / c2 + eps);
    STORE(m + i, mi); STORE(v + i, vi); STORE(w + i, wi);
  }
  for (; i < n; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    w[i] -= step_size * m[i] / (__builtin_sqrtf(v[i]) / c2 + eps);
  }
}
