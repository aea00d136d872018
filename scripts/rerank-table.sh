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
methods = ["none", "asymmetric", "stored", "qe", "kreciprocal"]
runs = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "eval-*.jsonl"))):
    rows = [json.loads(line) for line in open(path)]
    runs.append((os.path.basename(path)[5:-6], {m: {r["direction"]: r for r in rows if r["rerank"] == m} for m in methods}))
cell = lambda pair, key, places: f'{pair["i2t"][key]:.{places}f} / {pair["t2i"][key]:.{places}f}'
print("Each re-ranking a row (docs/reranking.md):\n")
print("| corpus, similarity | re-ranking | MAP@all | NDCG@100 | MAP@100 | whole matches@10 |")
print("|---|---|---|---|---|---|")
for name, by in runs:
    for m in methods:
        print(f"| {name} | {m} | {cell(by[m], 'map', 4)} | {cell(by[m], 'ndcg_at_k', 4)} | {cell(by[m], 'map_at_k', 4)} | {cell(by[m], 'whole_match_at_10', 4)} |")
print("\nEach re-ranking a column (README):\n")
print("| corpus, similarity | measure | " + " | ".join(methods) + " |")
print("|---|---|" + "---|" * len(methods))
for name, by in runs:
    for key, title in [("ndcg_at_k", "NDCG@100"), ("map", "MAP@all"), ("map_at_k", "MAP@100")]:
        print(f"| {name} | {title} | " + " | ".join(cell(by[m], key, 3) for m in methods) + " |")
PY
