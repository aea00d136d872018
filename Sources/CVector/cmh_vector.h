// What the element-wise kernels of this target share: sixteen float lanes with clang's vector
// extension, each kernel compiled for AVX-512, AVX2 and the baseline and picked when the library
// loads (ifunc dispatch: glibc).
#ifndef CMH_VECTOR_H
#define CMH_VECTOR_H

#include <string.h>

typedef float v16 __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

// Macros, not functions: a function taking a 16-lane vector would change the call ABI per clone.
#define LOAD(x, p) v16 x; memcpy(&x, (p), sizeof x)
#define STORE(p, x) memcpy((p), &x, sizeof x)

#endif
