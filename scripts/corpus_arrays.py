"""What the PyTorch scripts of scripts/ read from a corpus in the project's format: its pairs, its
label names, a split's rows, the multi-hot label matrix, and images as normalised arrays."""
import json, os

import numpy as np
from PIL import Image


class CorpusArrays:
    def __init__(self, folder):
        self.folder = folder
        self.labels = json.load(open(os.path.join(folder, "corpus.json")))["labels"]
        self.pairs = [json.loads(l) for l in open(os.path.join(folder, "pairs.jsonl")) if l.strip()]
        position = {p["id"]: i for i, p in enumerate(self.pairs)}
        self.position = position
        self.multi_hot = np.zeros((len(self.pairs), len(self.labels)), np.float32)
        for i, p in enumerate(self.pairs):
            self.multi_hot[i, p["labels"]] = 1

    def split(self, name):
        """The rows (pair positions) of splits/NAME.txt."""
        return [self.position[l.strip()] for l in open(os.path.join(self.folder, "splits", name + ".txt")) if l.strip()]

    def images(self, rows, size):
        """The images of `rows` resized to size² and normalised, [n, 3, size, size] float32."""
        X = np.zeros((len(rows), 3, size, size), np.float32)
        for k, i in enumerate(rows):
            im = Image.open(os.path.join(self.folder, self.pairs[i]["image"])).convert("RGB").resize((size, size), Image.BILINEAR)
            X[k] = (np.asarray(im, np.float32).transpose(2, 0, 1) / 255.0 - 0.45) / 0.25
        return X
