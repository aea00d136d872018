// One batch row of the Cauchy loss (CauchyLoss.swift) against every item of the other modality,
// in C: Swift calls glibc's logf one value at a time, and its two logarithms a pair were a fifth of
// a feature corpus's training time.
#ifndef CMH_CAUCHY_H
#define CMH_CAUCHY_H

/// For each pair i < n, with c = cos[i] and s = target[i]: pull = w_similar·s, push = w_dissimilar·(1 − s),
/// w = pull + push, a = pull/w and b = push/w (0 when w = 0), d = half·(1 − c), or d_min when c > cap;
///   g[i] = −half·w·(1/(γ + d) − b/d), without the 1/(γ + d) when c > cap;
///   *loss = Σ w·(log(γ + d) − a·log γ − b·log d)  (logarithms within 2 units in the last place);
///   *gc = Σ g[i]·c.
void cmh_cauchy_row(const float *cos, const float *target, long n, float w_similar, float w_dissimilar, float half, float gamma,
                    float d_min, float cap, float *g, double *loss, float *gc);

#endif
