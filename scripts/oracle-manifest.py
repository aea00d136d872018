#!/usr/bin/env python3
"""A manifest of real pairs for `cmh augment --manifest`: the balanced corpus's training pairs that
carry the long-tailed split's rare labels, picked as the balance planner picks label sets (the label
furthest below the head's count first) until the labels reach it or the cap. Used as an upper
bound for any generator: perfect samples of the tail, fed through the same fine-tuning. No numpy.
    python3 scripts/oracle-manifest.py BALANCED_CORPUS LONGTAILED_CORPUS OUT.jsonl [CAP]"""
import collections
import json
import os
import sys


def load(directory):
    labels = json.load(open(f"{directory}/corpus.json"))["labels"]
    pairs = {p["id"]: p for p in map(json.loads, open(f"{directory}/pairs.jsonl"))}
    train = [line.strip() for line in open(f"{directory}/splits/train.txt") if line.strip()]
    return labels, pairs, train


def main(balanced, longtailed, out, cap):
    names, pairs, train = load(balanced)
    lt_names, lt_pairs, lt_train = load(longtailed)
    if names != lt_names:
        sys.exit(f"{balanced} and {longtailed} have different label lists")
    count = collections.Counter(label for i in lt_train for label in lt_pairs[i]["labels"])
    target = max(count.values())
    used, chosen, exhausted = set(), [], set()
    while len(chosen) < cap:
        deficit = {l: target - count[l] for l in range(len(names)) if count[l] < target and l not in exhausted}
        if not deficit:
            break
        worst = max(deficit, key=deficit.get)
        pick = next((pairs[i] for i in train if worst in pairs[i]["labels"] and i not in used), None)
        if pick is None:
            exhausted.add(worst)
            continue
        used.add(pick["id"])
        chosen.append(pick)
        for label in pick["labels"]:
            count[label] += 1
    root = os.path.abspath(balanced)
    with open(out, "w") as f:
        for p in chosen:
            f.write(json.dumps({"image": f"{root}/{p['image']}", "text": p["text"], "labels": [names[l] for l in p["labels"]]}) + "\n")
    print(f"{out}: {len(chosen)} real pairs (head count {target})")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:4], int(sys.argv[4]) if len(sys.argv) == 5 else 3000)
