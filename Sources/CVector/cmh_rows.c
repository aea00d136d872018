// A bias added to a batch's rows and its gradient summed over them (cmh_rows.h).

#include "cmh_rows.h"
#include "cmh_vector.h"

CLONES
void cmh_add_to_rows(float *restrict y, const float *restrict b, long n, long o) {
  for (long r = 0; r < n; r++) {
    float *restrict row = y + r * o;
    for (long j = 0; j < o; j++) row[j] += b[j];
  }
}

CLONES
void cmh_add_column_sums(const float *restrict x, long n, long o, float *restrict sums) {
  for (long r = 0; r < n; r++) {
    const float *restrict row = x + r * o;
    for (long j = 0; j < o; j++) sums[j] += row[j];
  }
}
