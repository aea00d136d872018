// float32 rounded to bfloat16, for the bf16 products (oneDNN) of the towers' layers.
#ifndef CMH_BF16_H
#define CMH_BF16_H

#include <stddef.h>
#include <stdint.h>

/// y[i] = x[i] rounded to the nearest bf16 (ties to even; a NaN stays a NaN).
void cmh_bf16_round(const float *x, uint16_t *y, size_t count);
/// `rows` rows of `count` numbers, `width` apart at x, rounded as cmh_bf16_round into y, packed.
void cmh_bf16_round_rows(const float *x, long width, uint16_t *y, long count, long rows);

#endif
