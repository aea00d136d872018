#!/bin/sh
# The README's table: MAP on the shapes corpus at 16/32/64 bits with the Cauchy and the DCMH loss,
# same recipe and seed as `cmh demo`, made by `cmh experiment table` (resumable: run it again after
# an interruption). About 11 minutes on 2 cores. Usage: scripts/shapes-table.sh [DIR]
# SIMILARITY=any|cosine|jaccard sets the training target (default: cmh train's, per loss).
set -e
CMH=${CMH:-.build/release/cmh}
DIR=${1:-shapes-table}
mkdir -p "$DIR"
[ -f "$DIR/shapes/corpus.json" ] || "$CMH" corpus make-shapes --out "$DIR/shapes" --seed 1 --quiet
"$CMH" experiment table "$DIR/shapes" --bits 16,32,64 --loss cauchy,dcmh --arch compact10 --input-size 32 --width 32 \
  --batch-size 64 --text-lr 1e-4 --epochs 15 --seed 1 ${SIMILARITY:+--similarity $SIMILARITY} --out "$DIR/table"
