#!/bin/sh
# The README's table: MAP on the shapes corpus at 16/32/64 bits with the Cauchy and the DCMH loss,
# same recipe and seed as `cmh demo`. About 15 minutes on 2 cores. Usage: scripts/shapes-table.sh [DIR]
# SIMILARITY=any|cosine|jaccard sets the training target (default: cmh train's, per loss).
set -e
CMH=${CMH:-.build/release/cmh}
DIR=${1:-shapes-table}
mkdir -p "$DIR"
[ -f "$DIR/corpus/corpus.json" ] || "$CMH" corpus make-shapes --out "$DIR/corpus" --seed 1 --quiet
for loss in cauchy dcmh; do
  for bits in 16 32 64; do
    "$CMH" train "$DIR/corpus" --bits $bits --loss $loss --arch compact10 --input-size 32 --width 32 \
      --batch-size 64 --text-lr 1e-4 --epochs 15 --seed 1 ${SIMILARITY:+--similarity $SIMILARITY} --out "$DIR/$loss-$bits.cmh" --quiet > /dev/null
  done
  echo "== $loss"
  "$CMH" eval "$DIR/$loss-16.cmh" "$DIR/$loss-32.cmh" "$DIR/$loss-64.cmh" "$DIR/corpus" --quiet
done
