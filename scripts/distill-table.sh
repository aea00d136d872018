#!/bin/sh
# The distillation table of docs/distillation.md and the README: on the demo corpus, the shapes
# corpus with tags and the MIRFlickr-like feature corpus, at 64 bits, MAP@all and NDCG@100 of
#   big → big     the gallery model searching its own codes,
#   small → big   `cmh distill` (its defaults), over SEEDS seeds,
#   first-order   `cmh distill --contextual 0 --first-order 1` (regressing the big model's outputs),
#   small alone   the same small towers trained with labels by `cmh train`,
# with the query encoding time of each model's towers on one thread (`cmh bench query`: inputs made
# before timing, so no image decoding or tokenizing).
# About 45 minutes on 2 cores. Usage: scripts/distill-table.sh [DIR] [SEEDS]
set -eu
CMH=${CMH:-.build/release/cmh}
DIR=${1:-distill-table}
SEEDS=${2:-1 2 3}
mkdir -p "$DIR"

# Gallery models: the demo's, and `cmh train`'s defaults on the two other corpora.
[ -f "$DIR/demo/model-64.cmh" ] || "$CMH" demo --dir "$DIR/demo" --quiet > /dev/null
[ -d "$DIR/tags" ] || "$CMH" corpus make-shapes --out "$DIR/tags" --text tags --seed 2 --quiet
[ -d "$DIR/mirflickr" ] || "$CMH" corpus make-features --like mirflickr --out "$DIR/mirflickr" --quiet
[ -f "$DIR/tags-big.cmh" ] || "$CMH" train "$DIR/tags" --bits 64 --out "$DIR/tags-big.cmh" --quiet > /dev/null
[ -f "$DIR/mirflickr-big.cmh" ] || "$CMH" train "$DIR/mirflickr" --bits 64 --out "$DIR/mirflickr-big.cmh" --quiet > /dev/null

evaluate() {  # name corpus query-model [gallery-model]
  out="$DIR/eval-$1.jsonl"
  [ -f "$out" ] && return
  if [ $# -eq 4 ]; then "$CMH" eval "$3" "$2" --gallery "$4" --rerank none --json --quiet > "$out"
  else "$CMH" eval "$3" "$2" --rerank none --json --quiet > "$out"; fi
}

run() {  # corpus-name corpus big small-alone-options...
  name=$1; corpus=$2; big=$3; shift 3
  evaluate "$name-big" "$corpus" "$big"
  for seed in $SEEDS; do
    [ -f "$DIR/$name-csd-$seed.cmh" ] || "$CMH" distill "$big" "$corpus" --seed "$seed" --out "$DIR/$name-csd-$seed.cmh" --quiet > /dev/null
    evaluate "$name-csd-$seed" "$corpus" "$DIR/$name-csd-$seed.cmh" "$big"
    [ -f "$DIR/$name-fo-$seed.cmh" ] || "$CMH" distill "$big" "$corpus" --seed "$seed" --contextual 0 --first-order 1 --out "$DIR/$name-fo-$seed.cmh" --quiet > /dev/null
    evaluate "$name-fo-$seed" "$corpus" "$DIR/$name-fo-$seed.cmh" "$big"
  done
  [ -f "$DIR/$name-alone.cmh" ] || "$CMH" train "$corpus" --bits 64 "$@" --out "$DIR/$name-alone.cmh" --quiet > /dev/null
  evaluate "$name-alone" "$corpus" "$DIR/$name-alone.cmh"
  [ -f "$DIR/bench-$name.jsonl" ] || "$CMH" bench query "$big" "$DIR/$name-csd-1.cmh" --json --quiet | grep '"bench"' > "$DIR/bench-$name.jsonl"
}

run demo "$DIR/demo/corpus" "$DIR/demo/model-64.cmh" --arch compact10 --input-size 32 --width 8 --image-hidden 512 --text-hidden 256
run tags "$DIR/tags" "$DIR/tags-big.cmh" --arch compact10 --width 16 --image-hidden 512 --text-hidden 256
run mirflickr "$DIR/mirflickr" "$DIR/mirflickr-big.cmh" --image-hidden 256 --text-hidden 256

/usr/bin/python3 - "$DIR" "$SEEDS" <<'PY'
import json, os, sys
d, seeds = sys.argv[1], sys.argv[2].split()
def ev(name):
    rows = [json.loads(l) for l in open(os.path.join(d, f"eval-{name}.jsonl"))]
    return {r["direction"]: r for r in rows}
def mean(names, direction, key):
    return sum(ev(n)[direction][key] for n in names) / len(names)
def bench(name):
    rows = [json.loads(l) for l in open(os.path.join(d, f"bench-{name}.jsonl"))]
    return {(r["model"] == rows[0]["model"], r["bench"]): r for r in rows}
print("| corpus | query → gallery | MAP@all I→T / T→I | of big → big | NDCG@100 I→T / T→I | image query, 1 thread | text query, 1 thread |")
print("|---|---|---|---|---|---|---|")
for corpus in ["demo", "tags", "mirflickr"]:
    big = ev(f"{corpus}-big")
    b = bench(corpus)
    def ms(is_big, kind):
        t = b[(is_big, f"query.{kind}.single")]["ms_per_query"]
        return f"{t:.2f} ms" if t >= 0.1 else f"{t * 1000:.0f} µs"
    speed = lambda kind: f'{b[(False, f"query.{kind}.single")]["speedup"]:.1f}× faster'
    rows = [("big → big", [f"{corpus}-big"], ms(True, "image"), ms(True, "text")),
            (f"**small → big** (`cmh distill`, {len(seeds)} seeds)", [f"{corpus}-csd-{s}" for s in seeds],
             f'{ms(False, "image")} ({speed("image")})', f'{ms(False, "text")} ({speed("text")})'),
            (f"small → big, first-order only ({len(seeds)} seeds)", [f"{corpus}-fo-{s}" for s in seeds], "", ""),
            ("small alone (`cmh train`, labels)", [f"{corpus}-alone"], "", "")]
    for label, names, image, text in rows:
        i2t, t2i = mean(names, "i2t", "map"), mean(names, "t2i", "map")
        share = f'{100 * i2t / big["i2t"]["map"]:.1f}% / {100 * t2i / big["t2i"]["map"]:.1f}%'
        spread = ""
        if len(names) > 1:
            lo = [min(ev(n)[x]["map"] for n in names) for x in ("i2t", "t2i")]
            hi = [max(ev(n)[x]["map"] for n in names) for x in ("i2t", "t2i")]
            spread = f' (range {lo[0]:.4f}–{hi[0]:.4f} / {lo[1]:.4f}–{hi[1]:.4f})'
        print(f'| {corpus} | {label} | {i2t:.4f} / {t2i:.4f}{spread} | {share} | {mean(names, "i2t", "ndcg_at_k"):.3f} / {mean(names, "t2i", "ndcg_at_k"):.3f} | {image} | {text} |')
PY
