#!/bin/sh
# make bench-reference, oneDNN part (issue 38, docs/bf16.md): oneDNN's float32 and bfloat16
# convolutions on the shapes of `cmh bench engine`, threads as CMH_THREADS or every core. JSON lines.
set -e
command -v cc >/dev/null && [ -f /usr/include/oneapi/dnnl/dnnl.h ] || {
  echo '{"skipped": "oneDNN is missing (apt-get install libdnnl-dev) or there is no C compiler"}'; exit 0; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -O2 "$(dirname "$0")/onednn-bench.c" -ldnnl -o "$W/onednn-bench"
OMP_NUM_THREADS=${CMH_THREADS:-$(nproc)} "$W/onednn-bench" "${BATCH:-32}" "${REPEATS:-3}"
