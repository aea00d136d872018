// The Cauchy loss's pairs, sixteen at a time. The logarithm is Cephes' logf, on vectors.

#include "cmh_cauchy.h"
#include "cmh_vector.h"
#include <math.h>

typedef int i16 __attribute__((ext_vector_type(16)));

/// where mask (all ones or zeros a lane) is set, a, else b.
#define SELECT(mask, a, b) ((v16)(((i16)(a) & (mask)) | ((i16)(b) & ~(mask))))

/// log x for positive normal x: x = m·2^e with m in [√½, √2), then Cephes' polynomial in m − 1.
#define VLOG(out, x)                                                                             \
  v16 out;                                                                                       \
  do {                                                                                           \
    i16 bits_ = (i16)(x);                                                                        \
    v16 e_ = __builtin_convertvector(((bits_ >> 23) & 0xff) - 126, v16);                         \
    v16 m_ = (v16)((bits_ & 0x007fffff) | 0x3f000000); /* [0.5, 1) */                            \
    i16 small_ = m_ < 0.70710678118654752440f;                                                   \
    e_ = SELECT(small_, e_ - 1, e_);                                                             \
    v16 f_ = SELECT(small_, m_ + m_ - 1, m_ - 1);                                                \
    v16 z_ = f_ * f_;                                                                            \
    v16 y_ = 7.0376836292E-2f;                                                                   \
    y_ = y_ * f_ - 1.1514610310E-1f;                                                             \
    y_ = y_ * f_ + 1.1676998740E-1f;                                                             \
    y_ = y_ * f_ - 1.2420140846E-1f;                                                             \
    y_ = y_ * f_ + 1.4249322787E-1f;                                                             \
    y_ = y_ * f_ - 1.6668057665E-1f;                                                             \
    y_ = y_ * f_ + 2.0000714765E-1f;                                                             \
    y_ = y_ * f_ - 2.4999993993E-1f;                                                             \
    y_ = y_ * f_ + 3.3333331174E-1f;                                                             \
    y_ = y_ * f_ * z_;                                                                           \
    y_ += -2.12194440e-4f * e_;                                                                  \
    y_ += -0.5f * z_;                                                                            \
    out = f_ + y_ + 0.693359375f * e_;                                                           \
  } while (0)

/// The pair terms of lanes (g written, the loss and Σ g·c returned as vectors).
#define PAIRS(c, s, g, loss, gc)                                                                 \
  do {                                                                                           \
    v16 pull_ = w_similar * (s), push_ = w_dissimilar * (1 - (s)), w_ = pull_ + push_, zero_ = 0; \
    i16 some_ = w_ > 0;                                                                          \
    v16 a_ = SELECT(some_, pull_ / w_, zero_), b_ = SELECT(some_, push_ / w_, zero_);            \
    i16 capped_ = (c) > cap;                                                                     \
    v16 closest_ = d_min;                                                                        \
    v16 d_ = SELECT(capped_, closest_, half * (1 - (c)));                                        \
    v16 near_ = SELECT(capped_, zero_, 1 / (gamma + d_));                                        \
    g = -half * w_ * (near_ - b_ / d_);                                                          \
    VLOG(lg_, gamma + d_);                                                                       \
    VLOG(ld_, d_);                                                                               \
    loss += w_ * (lg_ - a_ * log_gamma - b_ * ld_);                                              \
    gc += g * (c);                                                                               \
  } while (0)

CLONES
void cmh_cauchy_row(const float *cos, const float *target, long n, float w_similar, float w_dissimilar, float half, float gamma,
                    float d_min, float cap, float *g, double *loss, float *gc) {
  const float log_gamma = logf(gamma);
  v16 loss_lanes = 0, gc_lanes = 0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    LOAD(c, cos + i);
    LOAD(s, target + i);
    v16 gi;
    PAIRS(c, s, gi, loss_lanes, gc_lanes);
    STORE(g + i, gi);
  }
  if (i < n) {  // the last pairs, in lanes padded with harmless values; only theirs are kept
    v16 c = 0, s = 0, gi;
    memcpy(&c, cos + i, (size_t)(n - i) * sizeof(float));
    memcpy(&s, target + i, (size_t)(n - i) * sizeof(float));
    v16 tail_loss = 0, tail_gc = 0;
    PAIRS(c, s, gi, tail_loss, tail_gc);
    for (long t = 0; t < n - i; t++) {
      g[i + t] = gi[t];
      loss_lanes[t] += tail_loss[t];
      gc_lanes[t] += tail_gc[t];
    }
  }
  double l = 0;
  float sum = 0;
  for (int t = 0; t < 16; t++) {
    l += loss_lanes[t];
    sum += gc_lanes[t];
  }
  *loss = l;
  *gc = sum;
}
