"""How fast a CNN learns the shapes corpus's labels from its pixels (docs/labels.md, issue 33): a
4-stage CNN (3×3 convolutions, BatchNorm, ReLU; widths w, 2w, 4w, 8w; global pooling; a linear
head) trained from scratch as a multi-label classifier (binary cross-entropy, Adam with a one-cycle
rate, flips and quarter turns) on a corpus's training split. Every 5 epochs: each shape's AP on
the query images, the mean over the 8 shapes, the mean over the other labels, and the shapes'
mean AP on 1,000 training images (a low one there means the network has not fitted them yet).

  /usr/bin/python3 scripts/shape-learning-torch.py CORPUS [--size 32] [--epochs 15] [--labels 24]
      [--width 16] [--lr 3e-3] [--balance 0] [--pool avg|max] [--batch 64] [--train-rows N]

--labels 8 learns the 8 shapes alone; --balance P weighs each label's loss by (its batch loss over
the mean)^P, so labels already learnt weigh less; --train-rows N trains on the first N rows of the
training split followed by the retrieval split (the training pairs are in both).
"""
import argparse, json, os, sys, time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from corpus_arrays import CorpusArrays  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus"); ap.add_argument("--size", type=int, default=32); ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--labels", type=int, default=24); ap.add_argument("--width", type=int, default=16); ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--balance", type=float, default=0); ap.add_argument("--pool", default="avg", choices=["avg", "max"])
    ap.add_argument("--batch", type=int, default=64); ap.add_argument("--train-rows", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("THREADS", "2"))); torch.manual_seed(1)
    corpus = CorpusArrays(a.corpus)
    train, query = corpus.split("train"), corpus.split("query")
    if a.train_rows:
        train = (train + corpus.split("retrieval"))[:a.train_rows]
    L = corpus.multi_hot
    Xtr, Xq = torch.tensor(corpus.images(train, a.size)), torch.tensor(corpus.images(query, a.size))
    Ytr = torch.tensor(L[train][:, :a.labels])
    w = a.width

    def stage(i, o, stride):
        return nn.Sequential(nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                             nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU())
    net = nn.Sequential(nn.Conv2d(3, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                        stage(w, w, 1), stage(w, 2 * w, 2), stage(2 * w, 4 * w, 2), stage(4 * w, 8 * w, 2),
                        nn.AdaptiveMaxPool2d(1) if a.pool == "max" else nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * w, a.labels))
    optimizer = torch.optim.Adam(net.parameters(), a.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, a.lr, total_steps=a.epochs * -(-len(train) // a.batch))

    def average_precisions(X, rows):
        net.eval()
        with torch.no_grad():
            S = torch.cat([net(X[i:i + 256]) for i in range(0, len(rows), 256)]).numpy()
        net.train()
        def ap(y, s):
            y = y[np.argsort(-s, kind="stable")]; hits = np.cumsum(y); ranks = np.arange(1, len(y) + 1)
            return float((hits[y > 0] / ranks[y > 0]).mean())
        return [ap(L[rows][:, l], S[:, l]) for l in range(a.labels)]

    started = time.time()
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(train))
        for s in range(0, len(train), a.batch):
            rows = order[s:s + a.batch]; x = Xtr[rows].clone()
            flip = torch.rand(len(rows)) < 0.5; x[flip] = x[flip].flip(3)
            x = torch.rot90(x, int(torch.randint(4, ())), (2, 3))
            loss = nn.functional.binary_cross_entropy_with_logits(net(x), Ytr[rows], reduction="none")
            if a.balance:
                per = loss.mean(0).detach(); weights = (per / per.mean()) ** a.balance
                loss = loss * (weights / weights.mean())
            optimizer.zero_grad(); loss.mean().backward(); optimizer.step(); schedule.step()
        if epoch % 5 == 0 or epoch == a.epochs:
            q, t = average_precisions(Xq, query), average_precisions(Xtr[:1000], train[:1000])
            print(json.dumps({"epoch": epoch, "seconds": round(time.time() - started), "shape_mean": round(float(np.mean(q[:8])), 3),
                              "shapes": [round(x, 2) for x in q[:8]], "other_mean": round(float(np.mean(q[8:])), 3) if a.labels > 8 else None,
                              "shape_mean_training_images": round(float(np.mean(t[:8])), 3)}), flush=True)


if __name__ == "__main__":
    main()
