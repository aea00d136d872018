// float32 rounded to bfloat16 (cmh_bf16.h), by the definition the optimisers share (cmh_vector.h).

#include "cmh_bf16.h"
#include "cmh_vector.h"

CLONES
void cmh_bf16_round(const float *x, uint16_t *y, size_t count) {
  size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    LOAD(xi, x + i);
    STORE_BF16(y + i, xi);
  }
  for (; i < count; i++) y[i] = cmh_bf16_of(x[i]);
}

// A rank's columns of a layer (UnitShare) are a segment a row: the next row's segment is fetched
// while this one is rounded, which the hardware's prefetcher would reach only after a few misses.
void cmh_bf16_round_rows(const float *x, long width, uint16_t *y, long count, long rows) {
  for (long r = 0; r < rows; r++) {
    if (r + 1 < rows) for (long i = 0; i < count; i += 16) __builtin_prefetch(x + (r + 1) * width + i);
    cmh_bf16_round(x + r * width, y + r * count, (size_t)count);
  }
}
