// Sixteen channels a vector (clang's vector extension), compiled for AVX-512 and the baseline
// and picked when the library loads (only bf16 runs call these, and bf16 runs have AVX-512).
// Float32 NCHW planes become vectors of 16 channels by a 16 × 16 transpose in registers.

#include "cmh_blocked.h"
#include <string.h>

typedef float v16 __attribute__((ext_vector_type(16)));
typedef unsigned int u16v __attribute__((ext_vector_type(16)));
typedef int m16 __attribute__((ext_vector_type(16)));
typedef unsigned short h16 __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)  // ifunc dispatch: glibc
#define CLONES __attribute__((target_clones("avx512f", "default")))
#else
#define CLONES
#endif

// Macros, not functions: a function taking or returning a 16-lane vector would change the call
// ABI per clone.
#define LOAD(v, p) v16 v; memcpy(&v, (p), sizeof v)
#define LOAD_BF16(v, p)                                                          \
  v16 v;                                                                         \
  do {                                                                           \
    h16 h_;                                                                      \
    memcpy(&h_, (p), sizeof h_);                                                 \
    v = (v16)(__builtin_convertvector(h_, u16v) << 16);                          \
  } while (0)
// Rounded to nearest, ties to even; a NaN keeps its sign and becomes quiet.
#define STORE_BF16(p, v)                                                         \
  do {                                                                           \
    u16v bits_ = (u16v)(v);                                                      \
    u16v nan_ = (u16v)((bits_ & 0x7fffffffu) > 0x7f800000u);                     \
    u16v rounded_ = (bits_ + 0x7fffu + ((bits_ >> 16) & 1u)) >> 16;              \
    u16v quiet_ = (bits_ >> 16) | 0x40u;                                         \
    h16 h_ = __builtin_convertvector((rounded_ & ~nan_) | (quiet_ & nan_), h16); \
    memcpy((p), &h_, sizeof h_);                                                 \
  } while (0)
/// g where the ReLU let y = v·scale + shift through (all of g without one); a NaN y stops it.
#define MASKED(g, v, scale, shift, relu) ((relu) ? (v16)((m16)(g) & (m16)((v) * (scale) + (shift) > 0)) : (g))

// One stage of the transpose: rows i and i + S swap their S-blocks across the diagonal.
#define SWAP(S, i, lo, hi)                                                      \
  do {                                                                          \
    v16 a_ = r[i], b_ = r[(i) + (S)];                                           \
    r[i] = __builtin_shufflevector(a_, b_, lo);                                 \
    r[(i) + (S)] = __builtin_shufflevector(a_, b_, hi);                         \
  } while (0)
#define LO8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define HI8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define LO4 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define HI4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define LO2 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define HI2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define LO1 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define HI1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
/// r[16], rows of 16, transposed in place.
#define TRANSPOSE(r)                                                            \
  do {                                                                          \
    for (int i = 0; i < 16; i++) if (!(i & 8)) SWAP(8, i, LO8, HI8);           \
    for (int i = 0; i < 16; i++) if (!(i & 4)) SWAP(4, i, LO4, HI4);           \
    for (int i = 0; i < 16; i++) if (!(i & 2)) SWAP(2, i, LO2, HI2);           \
    for (int i = 0; i < 16; i++) if (!(i & 1)) SWAP(1, i, LO1, HI1);           \
  } while (0)
/// r[t] = the 16 channels of the NCHW tile dy at position q0 + t (t < count; the rest 0).
#define GATHER(dy, plane, q0, count, r)                                         \
  do {                                                                          \
    for (int l = 0; l < 16; l++) {                                              \
      if ((count) == 16) {                                                      \
        memcpy(&r[l], (dy) + l * (plane) + (q0), sizeof r[l]);                  \
        continue;                                                               \
      }                                                                         \
      float row_[16] = {0};                                                     \
      for (long t_ = 0; t_ < (count); t_++) row_[t_] = (dy)[l * (plane) + (q0) + t_]; \
      memcpy(&r[l], row_, sizeof row_);                                         \
    }                                                                           \
    TRANSPOSE(r);                                                               \
  } while (0)

CLONES
void cmh_blocked_sums(const uint16_t *x, long plane, const float *center, float *out) {
  v16 s = 0, c = 0;
  if (center) memcpy(&c, center, sizeof c);
  for (long q = 0; q < plane; q++) {
    LOAD_BF16(v, x + q * 16);
    s += center ? (v - c) * (v - c) : v;
  }
  memcpy(out, &s, sizeof s);
}

CLONES
void cmh_blocked_normalize(const uint16_t *x, long plane, const float *scale, const float *shift, int relu, float *y,
                           uint16_t *y_blocked) {
  LOAD(a, scale);
  LOAD(b, shift);
  if (y_blocked) {  // the layout stays: no transpose
    for (long q = 0; q < plane; q++) {
      LOAD_BF16(v, x + q * 16);
      v16 u = v * a + b;
      if (relu) u = (v16)((m16)u & (m16)(u > 0));
      STORE_BF16(y_blocked + q * 16, u);
    }
    return;
  }
  for (long q0 = 0; q0 < plane; q0 += 16) {
    long count = plane - q0 < 16 ? plane - q0 : 16;
    v16 r[16];
    for (int t = 0; t < 16; t++) {
      r[t] = 0;
      if (t >= count) continue;
      LOAD_BF16(v, x + (q0 + t) * 16);
      v16 u = v * a + b;
      r[t] = relu ? (v16)((m16)u & (m16)(u > 0)) : u;
    }
    TRANSPOSE(r);  // r[l]: channel l at positions q0 …
    for (int l = 0; l < 16; l++) {
      if (count == 16) memcpy(y + l * plane + q0, &r[l], sizeof r[l]);
      else for (long t = 0; t < count; t++) y[l * plane + q0 + t] = r[l][t];
    }
  }
}

/// Runs `body` at each position q of the tile with v = x there and d = dy there (float32 NCHW, or
/// dy_blocked in the layout when dy is NULL), masked by the ReLU.
#define EACH_POSITION(dy, dy_blocked, x, plane, scale, shift, relu, body)       \
  for (long q0 = 0; q0 < (plane); q0 += 16) {                                   \
    long count = (plane) - q0 < 16 ? (plane) - q0 : 16;                         \
    v16 r[16];                                                                  \
    if (dy) GATHER(dy, plane, q0, count, r);                                    \
    for (int i = 0; i < count; i++) {                                           \
      long q = q0 + i;                                                          \
      LOAD_BF16(v, (x) + q * 16);                                               \
      if (!(dy)) { LOAD_BF16(g_, (dy_blocked) + q * 16); r[i] = g_; }           \
      v16 d = MASKED(r[i], v, scale, shift, relu);                              \
      body                                                                      \
    }                                                                           \
  }

CLONES
void cmh_blocked_gradient_sums(const float *dy, const uint16_t *dy_blocked, const uint16_t *x, long plane, const float *scale,
                               const float *shift, int relu, const float *center, float *sum, float *dot) {
  LOAD(a, scale);
  LOAD(b, shift);
  LOAD(c, center);
  v16 s = 0, t = 0;
  EACH_POSITION(dy, dy_blocked, x, plane, a, b, relu, {
    s += d;
    t += d * (v - c);
  })
  memcpy(sum, &s, sizeof s);
  memcpy(dot, &t, sizeof t);
}

CLONES
void cmh_blocked_input_gradient(const float *dy, const uint16_t *dy_blocked, const uint16_t *x, long plane, const float *scale,
                                const float *shift, int relu, const float *k, const float *a, const float *b, uint16_t *dx) {
  LOAD(sc, scale);
  LOAD(sh, shift);
  LOAD(kv, k);
  LOAD(av, a);
  LOAD(bv, b);
  EACH_POSITION(dy, dy_blocked, x, plane, sc, sh, relu, {
    v16 g = kv * d - av * v + bv;
    STORE_BF16(dx + q * 16, g);
  })
}

// The residual stream in the layout (any layout: these are elementwise over `count` values, a
// multiple of 16).

CLONES
void cmh_bf16_sum(const uint16_t *a, const uint16_t *b, long count, int relu, uint16_t *y) {
  for (long i = 0; i < count; i += 16) {
    LOAD_BF16(u, a + i);
    LOAD_BF16(v, b + i);
    v16 s = u + v;
    STORE_BF16(y + i, relu ? (v16)((m16)s & (m16)(s > 0)) : s);
  }
}

CLONES
void cmh_bf16_relu_gradient(const uint16_t *dy, const uint16_t *y, long count, uint16_t *dx) {
  for (long i = 0; i < count; i += 16) {
    LOAD_BF16(g, dy + i);
    LOAD_BF16(v, y + i);
    STORE_BF16(dx + i, (v16)((m16)g & (m16)(v > 0)));
  }
}
