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

// A float32's bits rounded to bf16 (its upper half): to nearest, ties to even; a NaN keeps its sign
// and becomes quiet. One definition for the rounding of weights and the optimisers that write it.
#define BF16_OF_BITS(bits, nan) ((nan) ? (((bits) >> 16) | 0x40u) : (((bits) + 0x7fffu + (((bits) >> 16) & 1u)) >> 16))

typedef unsigned int u16x __attribute__((ext_vector_type(16)));
typedef unsigned short h16x __attribute__((ext_vector_type(16)));

// Sixteen floats `x` (a v16) rounded to bf16 and stored at `p`.
#define STORE_BF16(p, x) do { \
    u16x bits_; memcpy(&bits_, &(x), sizeof bits_); \
    u16x nan_ = (u16x)((bits_ & 0x7fffffffu) > 0x7f800000u); \
    u16x r_ = (nan_ & ((bits_ >> 16) | 0x40u)) | (~nan_ & ((bits_ + 0x7fffu + ((bits_ >> 16) & 1u)) >> 16)); \
    h16x h_ = __builtin_convertvector(r_, h16x); memcpy((p), &h_, sizeof h_); \
  } while (0)

// One float rounded to bf16.
static inline unsigned short cmh_bf16_of(float x) {
  unsigned int bits;
  memcpy(&bits, &x, sizeof bits);
  return (unsigned short)BF16_OF_BITS(bits, (bits & 0x7fffffffu) > 0x7f800000u);
}

#endif
