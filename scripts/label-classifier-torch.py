"""The PyTorch side of docs/labels.md's "easy labels crowd shape out": ref_cmh.py's small CNN
trained as a plain multi-label classifier on a corpus's training split (Adam 1e-3, batch 64, flips),
each label's AP on the query images printed with the means of the shapes corpus's three kinds.

  /usr/bin/python3 scripts/label-classifier-torch.py CORPUS [--size 32] [--epochs 10] [--labels 24] [--focal 0]

--labels 8 learns the first 8 labels (the shapes) alone; --focal G uses a focal loss of that γ.
"""
import argparse, json, os, sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
from ref_cmh import small_cnn  # noqa: E402  the reference's image network
sys.path.insert(0, os.path.dirname(__file__))
from corpus_arrays import CorpusArrays  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus"); ap.add_argument("--size", type=int, default=32); ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--labels", type=int, default=0); ap.add_argument("--focal", type=float, default=0)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", "2"))); torch.manual_seed(1)
    corpus = CorpusArrays(a.corpus)
    train, query = corpus.split("train"), corpus.split("query")
    n_labels = a.labels or len(corpus.labels)
    L = corpus.multi_hot
    Xtr, Xq = torch.tensor(corpus.images(train, a.size)), torch.tensor(corpus.images(query, a.size))
    Ytr = torch.tensor(L[train][:, :n_labels])
    net = small_cnn(n_labels, a.size)[:-1]  # the reference's network without its tanh: logits
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    def loss(z, y):
        ce = nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
        if a.focal == 0:
            return ce.mean()
        p = torch.sigmoid(z); pt = p * y + (1 - p) * (1 - y)
        return ((1 - pt) ** a.focal * ce).mean()
    for _ in range(a.epochs):
        net.train(); order = torch.randperm(len(train))
        for s in range(0, len(train), 64):
            rows = order[s:s + 64]; x = Xtr[rows].clone()
            flip = torch.rand(len(rows)) < 0.5; x[flip] = x[flip].flip(3)
            opt.zero_grad(); loss(net(x), Ytr[rows]).backward(); opt.step()
    net.eval()
    with torch.no_grad():
        S = torch.cat([net(Xq[i:i + 256]) for i in range(0, len(query), 256)]).numpy()
    def average_precision(y, s):
        y = y[np.argsort(-s, kind="stable")]; hits = np.cumsum(y); ranks = np.arange(1, len(y) + 1)
        return float((hits[y > 0] / ranks[y > 0]).mean())
    aps = [average_precision(L[query][:, l], S[:, l]) for l in range(n_labels)]
    print(json.dumps({"labels": {corpus.labels[l]: round(aps[l], 3) for l in range(n_labels)},
                      "shape_mean": round(float(np.mean(aps[:8])), 3), "size": a.size, "epochs": a.epochs, "focal": a.focal,
                      "learnt_labels": n_labels}))


if __name__ == "__main__":
    main()
