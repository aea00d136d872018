// CPUID and XGETBV: the features a BLAS kernel needs, and whether the OS has enabled their state.
#define _GNU_SOURCE
#include "cmh_cpuid.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static void read_brand(char brand[49]) {
  unsigned int regs[12] = {0}, max_extended = __get_cpuid_max(0x80000000u, 0);
  memset(brand, 0, 49);
  if (max_extended < 0x80000004u) return;
  for (unsigned int i = 0; i < 3; i++)
    __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
  memcpy(brand, regs, 48);
  // Leading spaces pad some brand strings.
  size_t start = 0;
  while (start < 48 && brand[start] == ' ') start++;
  memmove(brand, brand + start, 49 - start);
}

void cmh_read_cpu_features(cmh_cpu_features *out) {
  memset(out, 0, sizeof *out);
  out->is_x86 = 1;
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  unsigned int max_leaf = __get_cpuid_max(0, 0);
  if (max_leaf == 0) return;
  __get_cpuid(0, &eax, &ebx, &ecx, &edx);
  char vendor[13] = {0};
  memcpy(vendor, &ebx, 4); memcpy(vendor + 4, &edx, 4); memcpy(vendor + 8, &ecx, 4);
  out->vendor_intel = strcmp(vendor, "GenuineIntel") == 0;
  out->vendor_amd = strcmp(vendor, "AuthenticAMD") == 0;

  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  int base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
  out->family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
  out->model = (base_family == 0x6 || base_family == 0xf) ? base_model + (((eax >> 16) & 0xf) << 4) : base_model;
  out->sse42 = (ecx >> 20) & 1;
  out->fma = (ecx >> 12) & 1;
  int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
  out->avx = avx;
  if (osxsave) {
    unsigned long long xcr0 = read_xcr0();
    out->os_avx = (xcr0 & 0x6) == 0x6;
    out->os_avx512 = out->os_avx && (xcr0 & 0xe0) == 0xe0;
    out->os_amx = (xcr0 & 0x60000) == 0x60000;
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    out->avx2 = (ebx >> 5) & 1;
    out->avx512f = (ebx >> 16) & 1;
    out->avx512dq = (ebx >> 17) & 1;
    out->avx512cd = (ebx >> 28) & 1;
    out->avx512bw = (ebx >> 30) & 1;
    out->avx512vl = (ebx >> 31) & 1;
    out->avx512_vpopcntdq = (ecx >> 14) & 1;
    out->amx_bf16 = (edx >> 22) & 1;
    out->amx_tile = (edx >> 24) & 1;
    unsigned int sub_leaves = eax;
    if (sub_leaves >= 1) {
      __cpuid_count(7, 1, eax, ebx, ecx, edx);
      out->avx512_bf16 = (eax >> 5) & 1;
    }
  }
  read_brand(out->brand);
}

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
int cmh_request_amx(void) {
  // ARCH_REQ_XCOMP_PERM (0x1023) for XFEATURE_XTILEDATA (18), as the kernel's AMX docs say.
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0 ? 0 : -1;
}
#else
int cmh_request_amx(void) { return -1; }
#endif

#else

void cmh_read_cpu_features(cmh_cpu_features *out) { memset(out, 0, sizeof *out); }
int cmh_request_amx(void) { return -1; }

#endif
