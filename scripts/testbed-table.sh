#!/bin/bash
# The test bed of corpus kinds: generates each corpus, trains it with `cmh train`'s defaults at
# 16, 32 and 64 bits with both losses, evaluates with `cmh eval --json`, runs the PyTorch
# reference of ../shared/bench (ref_cmh.py, the same method) on the same split when it is there,
# and prints the Markdown table of docs/testbed.md.
#   scripts/testbed-table.sh [DIR] [CORPORA]    CORPORA: wikipedia,mirflickr,shapes-tags,shapes-sentences
set -euo pipefail
DIR=${1:-testbed}; CORPORA=${2:-wikipedia,mirflickr}
BITS=${BITS:-16,32,64}; LOSSES=${LOSSES:-cauchy,dcmh}; REF_EPOCHS=${REF_EPOCHS:-60}
CMH=${CMH:-.build/release/cmh}
REF=$(dirname "$0")/../../shared/bench/ref_cmh.py
mkdir -p "$DIR"
for c in ${CORPORA//,/ }; do
  corpus=$DIR/$c
  if [ ! -f "$corpus/corpus.json" ]; then
    case $c in
      wikipedia|mirflickr) $CMH corpus make-features --like "$c" --out "$corpus" --quiet ;;
      shapes-tags) $CMH corpus make-shapes --out "$corpus" --text tags --seed 2 --quiet ;;
      shapes-sentences) $CMH corpus make-shapes --out "$corpus" --seed 2 --quiet ;;
    esac
  fi
  for loss in ${LOSSES//,/ }; do
    for k in ${BITS//,/ }; do
      model=$DIR/$c-$loss-$k.cmh
      [ -f "$model" ] || { echo "training $model" >&2; $CMH train "$corpus" --bits "$k" --loss "$loss" --out "$model" --quiet > "$model.epochs.txt"; }
      [ -f "$model.eval.jsonl" ] || $CMH eval "$model" "$corpus" --json --quiet | sed "s/^{/{\"corpus\": \"$c\", \"loss\": \"$loss\", /" > "$model.eval.jsonl"
    done
  done
  if [ -f "$REF" ] && [ ! -s "$DIR/$c.ref.jsonl" ]; then
    echo "reference on $c" >&2
    /usr/bin/python3 "$REF" --corpus "$corpus" --bits "$BITS" --loss "$LOSSES" --epochs "$REF_EPOCHS" > "$DIR/$c.ref.jsonl"
  fi
done
python3 - "$DIR" "$CORPORA" <<'PY'
import json, sys, glob, os
d, corpora = sys.argv[1], sys.argv[2].split(",")
print("| corpus | loss | bits | cmh I→T | ref I→T | cmh T→I | ref T→I | chance | cmh NDCG@100 I→T / T→I | codes i/t at the end |")
print("|---|---|---|---|---|---|---|---|---|---|")
for c in corpora:
    ref = {}
    if os.path.exists(f"{d}/{c}.ref.jsonl"):
        for l in open(f"{d}/{c}.ref.jsonl"):
            r = json.loads(l); ref[(r["loss"], r["bits"])] = r
    for f in sorted(glob.glob(f"{d}/{c}-*.cmh.eval.jsonl"), key=lambda f: (f.split("-")[-2], int(f.split("-")[-1].split(".")[0]))):
        rows = {r["direction"]: r for r in map(json.loads, open(f))}
        loss, bits = rows["i2t"]["loss"], rows["i2t"]["bits"]
        rr = ref.get((loss, bits), {})
        last = open(f.replace(".eval.jsonl", ".epochs.txt")).read().split("\n")
        codes = [l.split()[6] for l in last if l.strip() and l.split()[0].isdigit()][-1]
        print(f"| {c} | {loss} | {bits} | {rows['i2t']['map']:.4f} | {rr.get('i2t', float('nan')):.4f} | {rows['t2i']['map']:.4f} | "
              f"{rr.get('t2i', float('nan')):.4f} | {rows['i2t']['map_chance']:.4f} | {rows['i2t']['ndcg_at_k']:.4f} / {rows['t2i']['ndcg_at_k']:.4f} | {codes} |")
PY
