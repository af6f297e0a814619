"""Small data with few features per modality: beta="auto" against beta=1e-3.

Two-modality splits of sklearn data sets (blobs 2+2, make_classification
3+3, wine 6+7, breast cancer 15+15) and one single-modality case (blobs, 2
features); 30% stratified test split, mean test accuracy over 2 seeds, 1
torch thread.

Run:  python benchmarks/bench_lowdim.py [--max_epochs 200 --early_stopping False ...]
(``--param value`` pairs override OMIBClassifier parameters).
"""

import sys
import warnings

import numpy as np
import torch
from _common import parse_overrides
from sklearn.datasets import load_breast_cancer, load_wine, make_blobs, make_classification
from sklearn.model_selection import train_test_split

from omib_sklearn import OMIBClassifier


def datasets():
    X, y = make_blobs(600, n_features=4, centers=3, cluster_std=3.0, random_state=0)
    yield "blobs 2+2", [X[:, :2], X[:, 2:]], y
    yield "blobs 2 (one modality)", [X[:, :2]], y
    X, y = make_classification(1000, n_features=6, n_informative=4, random_state=0)
    yield "make_classification 3+3", [X[:, :3], X[:, 3:]], y
    X, y = load_wine(return_X_y=True)
    yield "wine 6+7", [X[:, :6], X[:, 6:]], y
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer 15+15", [X[:, :15], X[:, 15:]], y


def main(argv):
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    overrides = parse_overrides(argv)
    print(f"OMIBClassifier overrides: {overrides or 'none (defaults)'}; mean of 2 seeds")
    for name, X, y in datasets():
        tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y)
        cells = []
        for beta in ("auto", 1e-3):
            accs, epochs = [], []
            for seed in range(2):
                clf = OMIBClassifier(beta=beta, random_state=seed, **overrides)
                clf.fit([x[tr] for x in X], y[tr])
                accs.append(clf.score([x[te] for x in X], y[te]))
                epochs.append(clf.n_epochs_["main"])
            label = f"auto = {clf.beta_:.3g}" if beta == "auto" else f"{beta:g}"
            cells.append(f"beta {label}: {np.mean(accs):.3f} (main epochs {np.mean(epochs):.0f})")
        print(f"{name:26s} " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
