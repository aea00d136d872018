#!/bin/sh
# Prints the -target-cpu that fits this machine's vector units (empty when unknown or not x86).
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
case "$flags" in
  *avx512_vpopcntdq*) if grep -q AuthenticAMD /proc/cpuinfo; then echo znver4; else echo icelake-server; fi ;;
  *avx2*) echo haswell ;;
esac
