"""User encoders: a small CNN on image modalities against the all-MLP default.

Two data sets, each with an image modality and a tabular one:

* mfeat: ``pix`` (240 pixel averages) as ``(n, 1, 16, 15)`` images and
  ``fou`` (76 Fourier coefficients), 2,000 digits;
* sklearn's digits: the 8x8 images ``(n, 1, 8, 8)`` and a second modality
  made of the image's 8 row sums and 8 column sums, 1,797 digits.

Settings: the all-MLP default (images flattened), the CNN on the images with
the default MLP on the other modality (standardization of the images on and
off), and LogisticRegressionCV on the standardized concatenation of the flat
modalities. Stratified k-fold test accuracy (mean and std), the beta bounds
(the same for flat and image rows: the information estimates flatten them),
and the fit time per epoch (all epochs run, refit included). Prints a
markdown table.

Run:  python benchmarks/bench_encoders.py [--folds 5] [--n-estimators 5] [--max-epochs 100]
"""

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from omib_sklearn import OMIBClassifier
from omib_sklearn.datasets import load_multiple_features


class SmallCNN(nn.Module):
    """Two 3x3 convolutions with GELU, each followed by a 2x2 max-pooling,
    then a linear map of the flattened feature maps to the embedding, with
    a GELU (as the default MLP encoder ends)."""

    def __init__(self, input_shape, embedding_dim, width=16):
        super().__init__()
        channels, height, width_px = input_shape
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        n_features = 2 * width * (height // 4) * (width_px // 4)
        self.out = nn.Sequential(nn.Linear(n_features, embedding_dim), nn.GELU())

    def forward(self, x):
        return self.out(self.features(x))


def datasets():
    (fou, pix), y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
    yield "mfeat (pix 16x15, fou)", pix.reshape(-1, 1, 16, 15), fou, y
    digits = load_digits()
    images = digits.images[:, None].astype(np.float64)
    sums = np.hstack([digits.images.sum(axis=2), digits.images.sum(axis=1)])
    yield "digits (8x8, row+column sums)", images, sums, digits.target


def epochs_run(clf):
    """Epochs of every training run of a fit (the early-stopped one and the refit)."""
    runs = [clf.history_]
    if clf.early_stopping_history_ is not None:
        runs.append(clf.early_stopping_history_)
    return sum(len(h["warmup"]) + len(h["main"]) for h in runs)


def run(name, make, X, y, folds):
    accs, per_epoch, bounds = [], [], None
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(y, y):
        clf = make()
        start = time.perf_counter()
        clf.fit([x[tr] for x in X] if isinstance(X, list) else X[tr], y[tr])
        seconds = time.perf_counter() - start
        accs.append(clf.score([x[te] for x in X] if isinstance(X, list) else X[te], y[te]))
        if isinstance(clf, OMIBClassifier):
            per_epoch.append(seconds / epochs_run(clf))
            bounds = clf.beta_bounds_
    time_cell = f"{np.mean(per_epoch):.2f}" if per_epoch else "-"
    bounds_cell = f"[{bounds[0]:.3g}, {bounds[1]:.3g}]" if bounds else "-"
    return f"| {name} | {np.mean(accs):.4f} ± {np.std(accs):.4f} | {bounds_cell} | {time_cell} |"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-estimators", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=100)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    common = dict(n_estimators=args.n_estimators, max_epochs=args.max_epochs, random_state=0)
    print(f"{args.folds}-fold stratified CV; OMIBClassifier(n_estimators={args.n_estimators}, "
          f"max_epochs={args.max_epochs}), other parameters at their defaults; 1 torch thread\n")
    for data, images, table, y in datasets():
        flat = images.reshape(len(images), -1)
        print(f"### {data}: {len(y)} rows, images {images.shape[1:]}, table {table.shape[1]}\n")
        print("| setting | accuracy | beta bounds | s / epoch |")
        print("|---|---|---|---|")
        rows = [
            ("all-MLP default (images flattened)",
             lambda: OMIBClassifier(**common), [flat, table]),
            ("CNN on images, MLP on table",
             lambda: OMIBClassifier(encoders=[SmallCNN, None], **common), [images, table]),
            ("CNN, standardize=False",
             lambda: OMIBClassifier(encoders=[SmallCNN, None], standardize=False, **common),
             [images, table]),
            ("LogisticRegressionCV (scaled concatenation)",
             lambda: make_pipeline(StandardScaler(), LogisticRegressionCV(max_iter=2000)),
             np.hstack([flat, table])),
        ]
        for name, make, X in rows:
            print(run(name, make, X, y, args.folds), flush=True)
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
