#!/bin/bash
# The reference taken apart (docs/testbed.md, "The text rate on tags"): runs ../shared/bench/ref_cmh.py
# as it is and two patched copies — cmh's start (F and G uniform in [-1, 1] instead of random ±1),
# then also cmh's text input (tag rows as they are, not z-scored, text rate 1e-4) — and prints one
# JSON line per run with the variant as its "label".
#   scripts/ref-variants.sh CORPUS [BITS] [LOSS]      (default: 16 dcmh; THREADS as ref_cmh.py)
set -euo pipefail
CORPUS=$1; BITS=${2:-16}; LOSS=${3:-dcmh}
REF=$(dirname "$0")/../../shared/bench/ref_cmh.py
[ -f "$REF" ] || { echo "ref-variants: $REF not found (../shared is not here)" >&2; exit 1; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 - "$REF" "$WORK" <<'PY'
import sys
ref, work = sys.argv[1], sys.argv[2]
src = open(ref).read()
def patched(text, old, new):
    if old not in text:
        sys.exit(f"ref-variants: {ref} no longer has {old!r}; update the patch")
    return text.replace(old, new)
uniform = patched(src, "Fm = torch.randn(n, bits).sign(); Gm = torch.randn(n, bits).sign()",
                  "Fm = torch.rand(n, bits) * 2 - 1; Gm = torch.rand(n, bits) * 2 - 1")
raw = patched(uniform, 'A = np.load(f).astype(np.float32)\n', 'A = np.load(f).astype(np.float32)\n        if name == "text": return A\n')
raw = patched(raw, "lri, 3e-4, a.seed)", "lri, 1e-4, a.seed)")
open(f"{work}/uniform-start.py", "w").write(uniform)
open(f"{work}/uniform-start-raw-text.py", "w").write(raw)
PY
run() { /usr/bin/python3 "$2" --corpus "$CORPUS" --bits "$BITS" --loss "$LOSS" | sed "s/^{/{\"label\": \"ref_cmh.py, $1\", /"; }
run "as it is" "$REF"
run "cmh's start" "$WORK/uniform-start.py"
run "cmh's start and text input" "$WORK/uniform-start-raw-text.py"
