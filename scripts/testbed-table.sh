#!/bin/bash
# The test bed of corpus kinds (docs/testbed.md): generates each corpus, runs the PyTorch reference
# of ../shared/bench (ref_cmh.py, the same method) on it when that is there, and makes the table
# with `cmh experiment table` — `cmh train`'s defaults at 16, 32 and 64 bits with both losses,
# resumable, the reference's figures beside cmh's.
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
mkdir -p "$DIR"
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
  if [ -f "$REF" ] && [ ! -s "$DIR/$c.ref.jsonl" ]; then
    echo "reference on $c" >&2
    /usr/bin/python3 "$REF" --corpus "$corpus" --bits "$BITS" --loss "$LOSSES" --epochs "$REF_EPOCHS" \
      | sed 's/^{/{"label": "ref_cmh.py (PyTorch)", /' > "$DIR/$c.ref.jsonl"
  fi
  [ -s "$DIR/$c.ref.jsonl" ] && references+=(--reference "$DIR/$c.ref.jsonl")
done
$CMH experiment table "${corpora[@]}" --bits "$BITS" --loss "$LOSSES" --out "$DIR/table" "${references[@]}"
