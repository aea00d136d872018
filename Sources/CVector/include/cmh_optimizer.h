// The element-wise updates of RMSprop and Adam, in C because Swift on Linux cannot vectorise a
// square root: Float.squareRoot() goes through glibc's sqrtf (errno), one lane at a time, and made
// RMSprop three times slower than the memory traffic it needs.
#ifndef CMH_OPTIMIZER_H
#define CMH_OPTIMIZER_H

#include <stdint.h>

/// v = alpha·v + (1 − alpha)·g²; w −= lr·g/(√v + eps), over `count` segments of n elements, `stride`
/// apart (count 1: one run of n); with `bf16` (else NULL) the new w rounded to bf16 there, packed:
/// segment s's element i at bf16[s·n + i].
void cmh_rmsprop_update(float *w, const float *g, float *v, long n, long stride, long count, float alpha, float lr, float eps,
                        uint16_t *bf16);

/// m = beta1·m + (1 − beta1)·g; v = beta2·v + (1 − beta2)·g²; w −= step_size·m/(√v/c2 + eps), over
/// segments as cmh_rmsprop_update, and its bf16 copy.
void cmh_adam_update(float *w, const float *g, float *m, float *v, long n, long stride, long count, float beta1, float beta2,
                     float step_size, float c2, float eps, uint16_t *bf16);

#endif
