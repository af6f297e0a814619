"""Benchmark: OMIBRegressor on the diabetes data split into two modalities.

Modalities: clinical [age, sex, bmi, bp] and blood serum [s1..s6]
(``sklearn.datasets.load_diabetes``, 442 patients). Baselines: RidgeCV on each
modality and on their concatenation. 5-fold CV (shuffled, seed 0), R^2 and MAE
per fold, mean +- std; ``--repeats N`` repeats the CV with shuffle seeds
0..N-1 (OMIB's random_state = the shuffle seed).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_regression.py [--repeats 3]
Pass ``--param value`` pairs to override OMIBRegressor parameters, e.g.
``--max_epochs 60``.
"""

import sys
import time

import numpy as np
import torch
from _common import parse_overrides
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold

from omib_sklearn import OMIBRegressor

ALPHAS = np.logspace(-3, 3, 13)


def main(argv):
    torch.set_num_threads(1)
    overrides = parse_overrides(argv)
    repeats = int(overrides.pop("repeats", 1))
    X, y = load_diabetes(return_X_y=True)
    clinical, serum = X[:, :4], X[:, 4:]
    models = {
        "Ridge clinical [age,sex,bmi,bp]": lambda rep: (RidgeCV(alphas=ALPHAS), [clinical]),
        "Ridge serum [s1..s6]": lambda rep: (RidgeCV(alphas=ALPHAS), [serum]),
        "Ridge concatenation": lambda rep: (RidgeCV(alphas=ALPHAS), [clinical, serum]),
        "OMIBRegressor (2 modalities)": lambda rep: (
            OMIBRegressor(**{"random_state": rep, **overrides}), "multi"),
    }
    splits = [(rep, split) for rep in range(repeats)
              for split in KFold(n_splits=5, shuffle=True, random_state=rep).split(clinical)]
    print(f"diabetes: n={len(y)}, clinical {clinical.shape[1]} + serum {serum.shape[1]} "
          f"features; 5-fold CV (shuffle, seed{'s 0..' if repeats > 1 else ' '}{repeats - 1})")
    print(f"threads: torch.get_num_threads()={torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={__import__('os').environ.get('OMP_NUM_THREADS')}")
    if overrides:
        print(f"OMIBRegressor overrides: {overrides}")
    rows = []
    for name, make in models.items():
        r2s, maes, start = [], [], time.perf_counter()
        for rep, (train, test) in splits:
            model, blocks = make(rep)
            if blocks == "multi":
                Xtr, Xte = [clinical[train], serum[train]], [clinical[test], serum[test]]
            else:
                Xtr = np.hstack([b[train] for b in blocks])
                Xte = np.hstack([b[test] for b in blocks])
            pred = model.fit(Xtr, y[train]).predict(Xte)
            r2s.append(r2_score(y[test], pred))
            maes.append(mean_absolute_error(y[test], pred))
        rows.append((name, np.mean(r2s), np.std(r2s), np.mean(maes), np.std(maes),
                     time.perf_counter() - start))
    print()
    print(f"{'model':34s} {'R^2':>15s} {'MAE':>15s} {'time (s)':>9s}")
    for name, r2, r2s, mae, maes, t in rows:
        print(f"{name:34s} {r2:7.3f} +- {r2s:5.3f} {mae:7.2f} +- {maes:5.2f} {t:9.1f}")
    best_ridge = max(r[1] for r in rows[:3])
    omib = rows[3][1]
    print(f"\nOMIB R^2 {omib:.3f}, best Ridge R^2 {best_ridge:.3f}: "
          f"difference {omib - best_ridge:+.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
