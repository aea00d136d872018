#!/usr/bin/env python3
"""Reference MAP@all figures of a corpus's query/retrieval split that need no model: random
codes (the share of relevant pairs) and rankings by the label vectors themselves (Hamming distance
between multi-hot label rows, which 24-bit codes equal to the labels would give). numpy only.
    python3 scripts/label-baselines.py CORPUS_DIR"""
import json, numpy as np, sys
d=sys.argv[1]
pairs=[json.loads(l) for l in open(d+'/pairs.jsonl')]
idx={p['id']:i for i,p in enumerate(pairs)}
q=[idx[l.strip()] for l in open(d+'/splits/query.txt')]
r=[idx[l.strip()] for l in open(d+'/splits/retrieval.txt')]
L=np.zeros((len(pairs),len(json.load(open(d+'/corpus.json'))['labels'])))
for i,p in enumerate(pairs): L[i,p['labels']]=1
Q,R=L[q],L[r]
rel=(Q@R.T>0)
print('relevant fraction', rel.mean())
def mAP(dist):
    aps=[]
    for i in range(len(q)):
        o=np.argsort(dist[i],kind='stable'); g=rel[i][o]
        c=np.cumsum(g); pos=np.nonzero(g)[0]
        aps.append((c[pos]/(pos+1)).mean() if len(pos) else 0)
    return np.mean(aps)
ham=(Q[:,None,:]!=R[None,:,:]).sum(-1)
print('oracle label-hamming MAP', mAP(ham))
rng=np.random.default_rng(0)
print('random MAP', mAP(rng.random(ham.shape)))
