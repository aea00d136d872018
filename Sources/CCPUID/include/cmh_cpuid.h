// The processor's identity and vector features, read with CPUID and XGETBV (x86-64; zeros elsewhere).
#ifndef CMH_CPUID_H
#define CMH_CPUID_H

/// What the processor reports and the operating system enables.
typedef struct {
  int is_x86;           // 1 on x86-64, 0 elsewhere (every other field is then 0)
  int vendor_intel;     // "GenuineIntel"
  int vendor_amd;       // "AuthenticAMD"
  int family, model;    // display family and model (extended fields added as the manuals say)
  int sse42, avx, fma, avx2;
  int avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512_bf16, avx512_vpopcntdq;
  int os_avx;           // the OS saves the YMM state (XCR0 bits 1-2)
  int os_avx512;        // the OS saves the opmask and ZMM state (XCR0 bits 5-7)
  int amx_tile, amx_bf16;  // Intel's matrix tiles (CPUID 7.0 EDX bits 24, 22)
  int os_amx;           // the OS saves the tile state (XCR0 bits 17-18)
  char brand[49];       // the brand string, e.g. "AMD EPYC 9R14 96-Core Processor"
} cmh_cpu_features;

/// Fills `out`; never fails (an unknown leaf reads as zeros).
void cmh_read_cpu_features(cmh_cpu_features *out);

/// Asks Linux for this process's use of the AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM);
/// 0 when granted, -1 when refused or elsewhere.
int cmh_request_amx(void);

#endif
