#!/usr/bin/env python3
"""Per-label retrieval of the PyTorch reference (../shared/bench/ref_cmh.py): trains it as its own
main() does, encodes the query and retrieval splits, and prints, for each label l, the AP of the
queries that hold l when an item is relevant if it holds l (Hamming order, ties by position):
what `cmh eval --rerank none` reports as per-label MAP. One JSON line per direction.

  /usr/bin/python3 scripts/ref-per-label.py --corpus DIR [--bits 16] [--epochs 60] [--ref ../shared/bench]
"""
import argparse, json, os, sys, time
import numpy as np


def per_label(qB, rB, qL, rL, ref):
    """AP of label l over the queries holding it: the reference's own MAP with one-label rows."""
    out = []
    for l in range(qL.shape[1]):
        holders = np.nonzero(qL[:, l])[0]
        if len(holders) == 0:
            out.append(None); continue
        out.append(ref.map_at_all(qB[holders], rB, np.ones((len(holders), 1), np.float32), rL[:, l:l + 1]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True); ap.add_argument("--bits", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=60); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ref", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
    a = ap.parse_args()
    sys.path.insert(0, a.ref)
    import ref_cmh as ref, torch
    D = ref.load_corpus(a.corpus)
    if D["kind"] != "feat":
        sys.exit("ref-per-label: feature-row corpora only (features/image.npy)")
    names = json.load(open(os.path.join(a.corpus, "corpus.json")))["labels"]
    t = lambda x: torch.tensor(x)
    Xtr, Ytr = t(D["Xtr"]), t(D["Ytr"])
    t0 = time.time()
    fx, fy = ref.train(Xtr, Ytr, D["Ltr"], lambda b: ref.mlp(Xtr.shape[1], b, [1024, 1024]), lambda b: ref.mlp(Ytr.shape[1], b, [1024, 1024]),
                       a.bits, "cauchy", a.epochs, 10.0, 1.0, 128, 1e-3, 3e-4, a.seed)
    qx, qy = ref.encode(fx, t(D["Xq"])), ref.encode(fy, t(D["Yq"]))
    rx, ry = ref.encode(fx, t(D["Xr"])), ref.encode(fy, t(D["Yr"]))
    for direction, (q, r) in {"i2t": (qx, ry), "t2i": (qy, rx)}.items():
        aps = per_label(q, r, D["Lq"], D["Lr"], ref)
        held = {names[l]: round(v, 4) for l, v in enumerate(aps) if v is not None}
        worst = sorted(held.items(), key=lambda kv: kv[1])[:3]
        print(json.dumps(dict(direction=direction, bits=a.bits, epochs=a.epochs, map=round(ref.map_at_all(q, r, D["Lq"], D["Lr"]), 4),
                              label_map=round(float(np.mean(list(held.values()))), 4), worst_labels=[k for k, _ in worst],
                              label_ap=held, seconds=round(time.time() - t0, 1))), flush=True)


if __name__ == "__main__":
    main()
