#!/bin/bash
# The test bed of corpus kinds (docs/testbed.md): generates each corpus, runs the PyTorch reference
# of ../shared/bench (ref_cmh.py, the same method) on it when that is there, and makes the table
# with `cmh experiment table` — `cmh train`'s defaults at 16, 32 and 64 bits with both losses,
# resumable, the reference's figures beside cmh's. The reference runs one loss and code length at a
# time (50–110 minutes a cell on pixels) and appends each result to DIR/CORPUS.ref.jsonl, so an
# interrupted run resumes at the missing cells. That file starts from the figures recorded in
# docs/testbed-reference (FRESH_REFERENCE=1 runs every cell again; REFERENCE_ONLY=1 stops after the
# reference, without training cmh's models, e.g. to run two corpora's cells side by side with
# THREADS=1 each).
#   scripts/testbed-table.sh [DIR] [CORPORA]
#   CORPORA: wikipedia,mirflickr,mirflickr-real-labels,shapes-tags,shapes-sentences
#   (mirflickr-real-labels: MIRFlickr-25K's own label and tag matrices from ../shared/data, image
#   rows generated from the labels)
set -euo pipefail
DIR=${1:-testbed}; CORPORA=${2:-wikipedia,mirflickr}
BITS=${BITS:-16,32,64}; LOSSES=${LOSSES:-cauchy,dcmh}; REF_EPOCHS=${REF_EPOCHS:-60}
CMH=${CMH:-.build/release/cmh}
REF=$(dirname "$0")/../../shared/bench/ref_cmh.py
MIR=$(dirname "$0")/../../shared/data/mirflickr25k
RECORDED=$(dirname "$0")/../docs/testbed-reference
mkdir -p "$DIR"

# Runs ref_cmh.py for each loss and code length that DIR/$1.ref.jsonl does not hold yet.
reference_cells() {
  local c=$1 out=$DIR/$1.ref.jsonl loss bits measured
  [ -f "$REF" ] || return 0
  measured="$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //; s/["\\/&]//g'), THREADS=${THREADS:-2}"
  if [ ! -e "$out" ] && [ -z "${FRESH_REFERENCE:-}" ] && [ -f "$RECORDED/$c.ref.jsonl" ]; then cp "$RECORDED/$c.ref.jsonl" "$out"; fi
  for loss in ${LOSSES//,/ }; do
    for bits in ${BITS//,/ }; do
      if [ -f "$out" ] && grep -F "\"loss\": \"$loss\"" "$out" | grep -qF "\"bits\": $bits,"; then continue; fi
      echo "reference on $c: $loss, $bits bits" >&2
      /usr/bin/python3 "$REF" --corpus "$DIR/$c" --bits "$bits" --loss "$loss" --epochs "$REF_EPOCHS" \
        | sed "s/^{/{\"label\": \"ref_cmh.py (PyTorch)\", \"measured\": \"$measured\", /" >> "$out"
    done
  done
}

corpora=(); references=()
for c in ${CORPORA//,/ }; do
  corpus=$DIR/$c
  if [ ! -f "$corpus/corpus.json" ]; then
    case $c in
      wikipedia|mirflickr) $CMH corpus make-features --like "$c" --out "$corpus" --quiet ;;
      mirflickr-real-labels) $CMH corpus make-features --like mirflickr --labels "$MIR/mirflickr25k-lall.mat" \
                               --texts "$MIR/mirflickr25k-yall.mat" --vocabulary "$MIR/TagList_1386_from_MITH.txt" --out "$corpus" --quiet ;;
      shapes-tags) $CMH corpus make-shapes --out "$corpus" --text tags --seed 2 --quiet ;;
      shapes-sentences) $CMH corpus make-shapes --out "$corpus" --seed 2 --quiet ;;
    esac
  fi
  corpora+=("$corpus")
  reference_cells "$c"
  [ -s "$DIR/$c.ref.jsonl" ] && references+=(--reference "$DIR/$c.ref.jsonl")
done
[ -n "${REFERENCE_ONLY:-}" ] && exit 0
$CMH experiment table "${corpora[@]}" --bits "$BITS" --loss "$LOSSES" --out "$DIR/table" "${references[@]}"
