// RMSprop's and Adam's updates (llvm.sqrt on a vector has no errno, so it becomes sqrtps); with
// `bf16`, the updated weights rounded to bf16 too, packed segment after segment: the copy a
// layer's next bf16 pass multiplies, written while the weights are in registers instead of read
// again from memory to be rounded.

#include "cmh_optimizer.h"
#include "cmh_vector.h"

// A parameter's elements as `count` segments of `n`, `stride` apart (one run when count is 1): a
// rank's columns of a layer split by units (UnitShare) are a segment a row. The update prefetches
// the same place in the next segment, which the hardware's prefetcher reaches only after a few
// misses at each segment's start; in one run, 4 KB on.
#define PREFETCH(p) __builtin_prefetch((p) + ahead, 1)

CLONES
void cmh_rmsprop_update(float *w, const float *g, float *v, long n, long stride, long count, float alpha, float lr, float eps,
                        uint16_t *bf16) {
  long ahead = count > 1 ? stride : 1024;
  for (long s = 0; s < count; s++) {
    float *ws = w + s * stride, *vs = v + s * stride;
    const float *gs = g + s * stride;
    uint16_t *bs = bf16 ? bf16 + s * n : 0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
      PREFETCH(ws + i); PREFETCH(gs + i); PREFETCH(vs + i);
      LOAD(gi, gs + i); LOAD(vi, vs + i); LOAD(wi, ws + i);
      vi = alpha * vi + (1 - alpha) * gi * gi;
      wi -= lr * gi / (__builtin_elementwise_sqrt(vi) + eps);
      STORE(vs + i, vi); STORE(ws + i, wi);
      if (bs) STORE_BF16(bs + i, wi);
    }
    for (; i < n; i++) {
      vs[i] = alpha * vs[i] + (1 - alpha) * gs[i] * gs[i];
      ws[i] -= lr * gs[i] / (__builtin_sqrtf(vs[i]) + eps);
      if (bs) bs[i] = cmh_bf16_of(ws[i]);
    }
  }
}

CLONES
void cmh_adam_update(float *w, const float *g, float *m, float *v, long n, long stride, long count, float beta1, float beta2,
                     float step_size, float c2, float eps, uint16_t *bf16) {
  long ahead = count > 1 ? stride : 1024;
  for (long s = 0; s < count; s++) {
    float *ws = w + s * stride, *ms = m + s * stride, *vs = v + s * stride;
    const float *gs = g + s * stride;
    uint16_t *bs = bf16 ? bf16 + s * n : 0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
      PREFETCH(ws + i); PREFETCH(gs + i); PREFETCH(ms + i); PREFETCH(vs + i);
      LOAD(gi, gs + i); LOAD(mi, ms + i); LOAD(vi, vs + i); LOAD(wi, ws + i);
      mi = beta1 * mi + (1 - beta1) * gi;
      vi = beta2 * vi + (1 - beta2) * gi * gi;
      wi -= step_size * mi / (__builtin_elementwise_sqrt(vi) / c2 + eps);
      STORE(ms + i, mi); STORE(vs + i, vi); STORE(ws + i, wi);
      if (bs) STORE_BF16(bs + i, wi);
    }
    for (; i < n; i++) {
      ms[i] = beta1 * ms[i] + (1 - beta1) * gs[i];
      vs[i] = beta2 * vs[i] + (1 - beta2) * gs[i] * gs[i];
      ws[i] -= step_size * ms[i] / (__builtin_sqrtf(vs[i]) / c2 + eps);
      if (bs) bs[i] = cmh_bf16_of(ws[i]);
    }
  }
}
