"""
Images and tabular features
===========================

A small CNN for one modality, the default MLP for the other.

UCI Multiple Features (mfeat): 2,000 handwritten digits. The ``pix`` view
holds 240 pixel averages of a 16x15 image; here it is passed as images
``(n, 1, 16, 15)`` through a small convolutional network defined below
(``encoders={"pix": PixCNN}``), while the 76 Fourier coefficients ``fou``
go through the default MLP encoder. Prints the test accuracy and fit time
beside the default (both views through MLPs, ``pix`` as 240 flat features).

To stay short (56 s for both fits on an idle 2-core CPU), the example
fits ``--n-estimators 1`` network per model (early-stopped, then refit) on
one 1,600 / 400 split, where the two are within a point of each other
(0.985 default, 0.978 CNN); ``benchmarks/bench_encoders.py`` runs
cross-validation (on mfeat the CNN was 0.982 against 0.978 for the
default, 3 folds).

Run: python examples/images_and_features.py [--n-estimators K] [--max-epochs E]
"""

import argparse
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from omib_sklearn import OMIBClassifier
from omib_sklearn.datasets import load_multiple_features


class PixCNN(nn.Module):
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n-estimators", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    (fou, pix), y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
    images = pix.reshape(-1, 1, 16, 15)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0, stratify=y)
    settings = dict(
        n_estimators=args.n_estimators, max_epochs=args.max_epochs, random_state=0,
    )
    runs = {
        "default (MLP, MLP)": (
            OMIBClassifier(**settings), {"fou": fou, "pix": pix},
        ),
        "fou MLP, pix CNN": (
            OMIBClassifier(encoders={"pix": PixCNN}, **settings), {"fou": fou, "pix": images},
        ),
    }
    print(f"mfeat: {len(tr)} train / {len(te)} test digits; pix as {images.shape[1:]} images")
    for name, (clf, X) in runs.items():
        X_train = {k: v[tr] for k, v in X.items()}
        X_test = {k: v[te] for k, v in X.items()}
        start = time.perf_counter()
        clf.fit(X_train, y[tr])
        seconds = time.perf_counter() - start
        epochs = clf.n_epochs_["warmup"] + clf.n_epochs_["main"]
        print(f"  {name:<20} test accuracy {clf.score(X_test, y[te]):.4f}   "
              f"fit {seconds:5.1f} s ({epochs} epochs in the fitted run), "
              f"beta {clf.beta_:.3g} in [{clf.beta_bounds_[0]:.3g}, {clf.beta_bounds_[1]:.3g}]")


if __name__ == "__main__":
    main()
