#!/bin/sh
# make e2e: the demo's model served by `cmh serve` on a free loopback port, its page driven by
# headless Chromium (scripts/e2e.py); then the pages `cmh search --html` writes and the curves of
# `cmh index eval --svg`, opened as files; screenshots in docs/images.
set -eu
CMH=${CMH:-.build/release/cmh}
DIR=${DIR:-cmh-demo}
[ -f "$DIR/model-64.cmh" ] || "$CMH" demo --dir "$DIR" --quiet
# The demo writes the retrieval set's indexes; the curves need the queries' too, from this model
# (a demo run again since they were encoded leaves them from the one before).
[ "$DIR/index/query-text.cmhindex" -nt "$DIR/model-64.cmh" ] || "$CMH" encode "$DIR/model-64.cmh" "$DIR/corpus" --out "$DIR/index" --quiet
log=$(mktemp)
"$CMH" serve --model "$DIR/model-64.cmh" --index "$DIR/index" --port 0 --json > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q '"listening"' "$log" && break; sleep 0.2; done
port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$log")
[ -n "$port" ] || { echo "e2e: cmh serve did not start:"; cat "$log"; exit 1; }
pages="$DIR/e2e-pages"
mkdir -p "$pages"
query=$(sed -n 's/.*"image" *: *"\([^"]*\)".*/\1/p' "$DIR/corpus/pairs.jsonl" | head -1)
"$CMH" search text2image "$DIR/model-64.cmh" "$DIR/index/image.cmhindex" "a red circle on the grass" --html "$pages/text2image.html" --rerank none --quiet > /dev/null
"$CMH" search image2text "$DIR/model-64.cmh" "$DIR/index/text.cmhindex" "$DIR/corpus/$query" --html "$pages/image2text.html" --quiet > /dev/null
"$CMH" index eval "$DIR/index/query-text.cmhindex" "$DIR/index/image.cmhindex" --svg "$pages/curves" --quiet > /dev/null
/usr/bin/python3 scripts/e2e.py --url "http://127.0.0.1:$port/" --out "${OUT:-docs/images}" --pages "$pages"
