#!/bin/sh
# The re-ranking table of docs/reranking.md: models trained with each similarity on the demo corpus
# and the test bed's corpora, each evaluated with every re-ranking (`cmh eval --rerank all`), as a
# Markdown table of MAP@all, NDCG@100, MAP@100 and whole matches@10 (Image→Text / Text→Image).
# About 75 minutes on 2 cores. Usage: scripts/rerank-table.sh [DIR]
set -eu
CMH=${CMH:-.build/release/cmh}
DIR=${1:-rerank-table}
mkdir -p "$DIR"
train() {  # name corpus options...
  name=$1; corpus=$2; shift 2
  [ -f "$DIR/$name.cmh" ] || "$CMH" train "$corpus" "$@" --out "$DIR/$name.cmh" --quiet > /dev/null
  [ -f "$DIR/eval-$name.jsonl" ] || "$CMH" eval "$DIR/$name.cmh" "$corpus" --rerank all --json --quiet > "$DIR/eval-$name.jsonl"
}
[ -d "$DIR/demo" ] || "$CMH" corpus make-shapes --out "$DIR/demo" --seed 1 --quiet
[ -d "$DIR/tags" ] || "$CMH" corpus make-shapes --out "$DIR/tags" --text tags --seed 2 --quiet
[ -d "$DIR/mirflickr" ] || "$CMH" corpus make-features --like mirflickr --out "$DIR/mirflickr" --quiet
[ -d "$DIR/wikipedia" ] || "$CMH" corpus make-features --like wikipedia --out "$DIR/wikipedia" --quiet
for sim in any cosine jaccard; do
  train "demo-$sim" "$DIR/demo" --bits 64 --arch compact10 --input-size 32 --width 32 --batch-size 64 --text-lr 1e-4 --epochs 15 --seed 1 --similarity $sim
  train "mirflickr-$sim" "$DIR/mirflickr" --bits 32 --similarity $sim
done
for sim in any jaccard; do train "tags-$sim" "$DIR/tags" --bits 64 --similarity $sim; done
train wikipedia "$DIR/wikipedia" --bits 32
/usr/bin/python3 - "$DIR" <<'PY'
import json, sys, glob, os
print("| corpus, similarity | re-ranking | MAP@all | NDCG@100 | MAP@100 | whole matches@10 |")
print("|---|---|---|---|---|---|")
for path in sorted(glob.glob(os.path.join(sys.argv[1], "eval-*.jsonl"))):
    rows = [json.loads(line) for line in open(path)]
    name = os.path.basename(path)[5:-6]
    for method in ["none", "asymmetric", "stored", "qe", "kreciprocal"]:
        pair = {r["direction"]: r for r in rows if r["rerank"] == method}
        cell = lambda key: f'{pair["i2t"][key]:.4f} / {pair["t2i"][key]:.4f}'
        print(f"| {name} | {method} | {cell('map')} | {cell('ndcg_at_k')} | {cell('map_at_k')} | {cell('whole_match_at_10')} |")
PY
