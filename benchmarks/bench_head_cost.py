"""Cost of the task heads' hidden layer: seconds per main-phase epoch of a
default fit with linear heads (``head_hidden=0``) and with the default
(``head_hidden=256``), timed in turns in one process (one torch thread), so
that both see the same machine load.

Run:  python benchmarks/bench_head_cost.py [--repeats 3]
"""

import argparse
import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

from omib_sklearn import OMIBClassifier  # noqa: E402
from omib_sklearn.datasets import load_multiple_features, make_multimodal_classification  # noqa: E402


def data():
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer x3 (569 rows)", [X[:, :10], X[:, 10:20], X[:, 20:]], y
    yield "mfeat fou+kar (2,000 rows)", *load_multiple_features(views=("fou", "kar"),
                                                                 return_X_y=True)
    X, y = make_multimodal_classification(n_samples=9000, random_state=0)
    yield "SIM-I (9,000 rows)", X, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    print(f"torch threads 1; {args.epochs} main epochs, early_stopping=False, beta=1e-4")
    print("| data | s/epoch, head_hidden=0 | s/epoch, head_hidden=256 | ratio |")
    print("|---|---|---|---|")
    for name, X, y in data():
        times = {0: [], 256: []}
        for _ in range(args.repeats):
            for width in times:
                clf = OMIBClassifier(head_hidden=width, beta=1e-4, early_stopping=False,
                                     max_epochs=args.epochs, random_state=0)
                clf.fit(X, y)
                times[width].append(clf.fit_times_["main"] / args.epochs)
        a, b = np.median(times[0]), np.median(times[256])
        print(f"| {name} | {a:.3f} | {b:.3f} | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
