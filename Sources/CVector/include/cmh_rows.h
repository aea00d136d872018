// A dense layer's bias over a batch of rows: added to every row, and its gradient summed over the
// rows. In C with `restrict`: in Swift the row and the bias might alias, so neither loop was
// vectorised (both together took 3% of a feature corpus's training).
#ifndef CMH_ROWS_H
#define CMH_ROWS_H

/// y[r·o + j] += b[j] for every row r < n and column j < o.
void cmh_add_to_rows(float *y, const float *b, long n, long o);

/// sums[j] += Σ_r x[r·o + j] over the n rows of x [n, o].
void cmh_add_column_sums(const float *x, long n, long o, float *sums);

#endif
