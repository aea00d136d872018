#!/bin/sh
# make bench, MPI part (docs/mpi.md): training pairs/s of two ranks of one thread each against one
# process of one thread, on the demo's recipe and on a MIRFlickr-like feature corpus; the ranks'
# communication per step for the demo model and ResNet-34 at 224², and what the ring all-reduce
# cost model predicts for 8, 32 and 64 machines on 10 and 25 Gb/s links. JSON lines on stdout;
# ROUNDS=n sets how many rounds of the speed-ups are run (3).
set -e
CMH=${CMH:-.build/release/cmh}
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
command -v mpirun >/dev/null || { echo '{"skipped": "mpirun is missing (apt-get install openmpi-bin)"}'; exit 0; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

$CMH corpus make-shapes --out "$W/demo" --quiet >/dev/null
$CMH corpus make-features --like mirflickr --out "$W/features" --quiet >/dev/null
$CMH corpus make-shapes --out "$W/r34" --pairs 128 --size 224 --quiet >/dev/null
DEMO="--bits 64 --arch compact10 --input-size 32 --width 32 --batch-size 64 --text-lr 1e-4 --epochs 2"
FEATURES="--bits 32 --epochs 25"  # epochs of 0.2-0.3 s: 25 of them, so that warm-up and the host's noise weigh less
R34="--bits 64 --arch resnet34 --input-size 224 --batch-size 32 --epochs 1"

# A host's neighbours move one round by ±0.2: ROUNDS rounds (3 unless set), one process then two
# ranks in each, and the median of the rounds' speed-ups.
ROUNDS=${ROUNDS:-3}
for round in $(seq "$ROUNDS"); do
  for corpus in demo features; do
    options=$DEMO; [ $corpus = features ] && options=$FEATURES
    CMH_THREADS=1 $CMH train "$W/$corpus" $options --out "$W/${corpus}1-$round.cmh" --quiet >/dev/null
    $MPIRUN -np 2 -x CMH_THREADS=1 $CMH train "$W/$corpus" $options --out "$W/${corpus}2-$round.cmh" --quiet >/dev/null
  done
done
$MPIRUN -np 2 -x CMH_THREADS=1 $CMH train "$W/r34" $R34 --out "$W/r34.cmh" --quiet >/dev/null

/usr/bin/python3 - "$W" "$ROUNDS" <<'EOF'
import json, sys
w, rounds = sys.argv[1], int(sys.argv[2])
def log(name):
    return [json.loads(l) for l in open(f"{w}/{name}.cmh.log.jsonl")]
def rate(rows):  # the median pairs/s of the hashing epochs after the first (which maps the pixel cache)
    rates = sorted(r["pairs_per_second"] for r in rows[1:] if r.get("epoch_kind") != "labels")
    return rates[len(rates) // 2]
machine = json.loads(__import__("subprocess").run(["sh", "-c", "${CMH:-.build/release/cmh} info --json"], capture_output=True, text=True).stdout)
print(json.dumps({"machine": {k: machine[k] for k in ("processor", "vector_level", "kernel", "cores")}}))
def steps(corpus, batch):  # an epoch's steps: an image and a text phase over the training pairs
    pairs = sum(1 for l in open(f"{w}/{corpus}/splits/train.txt") if l.strip())
    return 2 * -(-pairs // batch)
for corpus in ("demo", "features"):
    ones = [rate(log(f"{corpus}1-{r}")) for r in range(1, rounds + 1)]
    twos = [rate(log(f"{corpus}2-{r}")) for r in range(1, rounds + 1)]
    ups = sorted(b / a for a, b in zip(ones, twos))
    two = log(f"{corpus}2-1")
    print(json.dumps({"workload": f"train {corpus}", "rounds": rounds, "one_process_one_thread_pairs_per_second": ones,
                      "two_ranks_one_thread_each_pairs_per_second": twos, "speedups": [round(u, 2) for u in ups],
                      "median_speedup": round(ups[len(ups) // 2] if len(ups) % 2 else (ups[len(ups) // 2 - 1] + ups[len(ups) // 2]) / 2, 2),
                      "ranks_seconds_per_epoch": two[-1]["ranks_seconds"], "ranks_megabytes_per_epoch": two[-1]["ranks_megabytes"],
                      "split_layers_made_whole_megabytes_per_epoch": two[-1].get("ranks_settle_megabytes", 0)}))
demo, r34 = log("demo2-1")[-1], log("r34")[-1]
for model, row, n in (("demo (compact10 half width, text 4096²)", demo, steps("demo", 64)), ("resnet34 224²", r34, steps("r34", 32))):
    mb, ms = row["ranks_megabytes"] / n, 1000 * row["ranks_seconds"] / n
    print(json.dumps({"model": model, "megabytes_per_step": round(mb, 1), "milliseconds_per_step_two_ranks_loopback": round(ms, 1),
                      "split_layers_made_whole_megabytes_per_epoch": row.get("ranks_settle_megabytes", 0)}))
    # Ring all-reduce: 2(p−1)/p of the bytes over each link, 2(p−1) latencies of 20 µs. A prediction, not a measurement.
    for p in (8, 32, 64):
        for gbit in (10, 25):
            t = 2 * (p - 1) / p * mb * 1e6 / (gbit * 1e9 / 8) + 2 * (p - 1) * 20e-6
            print(json.dumps({"model": model, "prediction": "ring all-reduce", "machines": p, "link_gbit_per_s": gbit, "milliseconds_per_step": round(1000 * t, 1)}))
EOF
