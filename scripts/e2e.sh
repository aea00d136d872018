#!/bin/sh
# make e2e: the demo's model served by `cmh serve` on a free loopback port, its page driven by
# headless Chromium (scripts/e2e.py); screenshots in docs/images.
set -eu
CMH=${CMH:-.build/release/cmh}
DIR=${DIR:-cmh-demo}
[ -f "$DIR/model-64.cmh" ] || "$CMH" demo --dir "$DIR" --quiet
log=$(mktemp)
"$CMH" serve --model "$DIR/model-64.cmh" --index "$DIR/index" --port 0 --json > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q '"listening"' "$log" && break; sleep 0.2; done
port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$log")
[ -n "$port" ] || { echo "e2e: cmh serve did not start:"; cat "$log"; exit 1; }
/usr/bin/python3 scripts/e2e.py --url "http://127.0.0.1:$port/" --out "${OUT:-docs/images}"
