// BatchNorm's passes over bf16 activations in oneDNN's blocked layout (16 channels contiguous
// at each position), one tile at a time: a tile is one item's one block of 16 channels, `plane`
// positions of 16 bf16 values. Float32 tensors on the other side are NCHW: the tile's 16 planes
// start `plane` floats apart. Each function takes 16-lane per-channel constants.
#ifndef CMH_BLOCKED_H
#define CMH_BLOCKED_H

#include <stdint.h>

/// out[l] = Σ_q x[q][l], or Σ_q (x[q][l] − center[l])² when `center` is not NULL.
void cmh_blocked_sums(const uint16_t *x, long plane, const float *center, float *out);

/// y[l·plane + q] = x[q][l]·scale[l] + shift[l], floored at 0 when `relu` (a NaN then gives 0); or,
/// with `y_blocked`, the same rounded to bf16 at y_blocked[q][l] (y is then not written).
void cmh_blocked_normalize(const uint16_t *x, long plane, const float *scale, const float *shift, int relu, float *y,
                           uint16_t *y_blocked);

/// With d = dy (float32 NCHW, or bf16 in the layout at dy_blocked when dy is NULL), or with `relu`
/// dy where x·scale + shift > 0 and 0 elsewhere:
/// sum[l] = Σ_q d[q][l] and dot[l] = Σ_q d[q][l]·(x[q][l] − center[l]).
void cmh_blocked_gradient_sums(const float *dy, const uint16_t *dy_blocked, const uint16_t *x, long plane, const float *scale,
                               const float *shift, int relu, const float *center, float *sum, float *dot);

/// dx[q][l] = k[l]·d[q][l] − a[l]·x[q][l] + b[l] (d as above), rounded to bf16 (to nearest, ties
/// to even; a NaN stays a NaN).
void cmh_blocked_input_gradient(const float *dy, const uint16_t *dy_blocked, const uint16_t *x, long plane, const float *scale,
                                const float *shift, int relu, const float *k, const float *a, const float *b, uint16_t *dx);

/// y = a + b in bf16, floored at 0 with `relu`; `count` values (a multiple of 16).
void cmh_bf16_sum(const uint16_t *a, const uint16_t *b, long count, int relu, uint16_t *y);

/// dx = dy where y > 0, else 0 (bf16).
void cmh_bf16_relu_gradient(const uint16_t *dy, const uint16_t *y, long count, uint16_t *dx);

#endif
