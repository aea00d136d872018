#!/bin/sh
# The named searches of docs/reranking.md: for each text query and each re-ranking, how many of the
# top 10 images carry every label the query names. Usage (after `cmh demo`):
#   scripts/whole-matches.sh cmh-demo/model-64.cmh cmh-demo/index/image.cmhindex cmh-demo/corpus
set -eu
CMH=${CMH:-.build/release/cmh}
MODEL=$1 INDEX=$2 CORPUS=$3
echo "| query (labels named) | none | asymmetric | stored | qe | kreciprocal |"
echo "|---|---|---|---|---|---|"
for query in "a blue star at night" "a red circle on the grass" "green square on sand" "a purple triangle in the snow"; do
  row="| \"$query\""
  for method in none asymmetric stored qe kreciprocal; do
    cell=$("$CMH" search text2image "$MODEL" "$INDEX" "$query" -k 10 --rerank "$method" --json --quiet |
      /usr/bin/python3 -c '
import json, sys
labels = set(json.load(open(sys.argv[1] + "/corpus.json"))["labels"])
named = [w for w in sys.argv[2].split() if w in labels]
rows = [json.loads(line) for line in sys.stdin]
whole = sum(all(n in r["labels"] for n in named) for r in rows)
print(str(whole) + "/" + str(len(rows)))' "$CORPUS" "$query")
    row="$row | $cell"
  done
  echo "$row |"
done
