"""Absent modalities: predicting without a modality, and fitting with rows
that lack one.

Data: SIM-I, SIM-II, SIM-III (the paper's protocol, one split, seed 0; the
training rows subsampled to ``--n-train``) and mfeat fou+pix (the first fold
of the 5-fold split, seed 0). Test accuracy, 1 torch thread.

``--part sweep``: OMIBClassifier trained once on complete rows for each
``modality_dropout`` of ``--dropouts``, scored with every modality present
and with each modality absent (None at predict time), next to a logistic
regression trained on that modality alone (standardized features, C=1).

``--part missing``: 30% of the training rows lose one modality (drawn at
random, half each); OMIB with ``modality_dropout=--dropout`` fitted on those
rows (absent blocks as NaN), against the same model fitted on the complete
rows and on the complete rows only (the incomplete rows dropped); scored on
complete test rows and with each modality absent.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_missing.py --part sweep
      OMP_NUM_THREADS=1 python benchmarks/bench_missing.py --part missing --dropout 0.2
"""

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from _common import mfeat_folds, sim_split
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from omib_sklearn import OMIBClassifier


def datasets(names, n_train):
    for name in names:
        if name == "mfeat":
            Xtr, ytr, Xte, yte = next(mfeat_folds(seed=0))
            yield "mfeat fou+pix", Xtr, ytr, Xte, yte
            continue
        Xtr, ytr, Xte, yte = sim_split(name, 0)[:4]
        if n_train and n_train < len(ytr):
            rows = np.random.default_rng(0).choice(len(ytr), n_train, replace=False)
            Xtr, ytr = [x[rows] for x in Xtr], ytr[rows]
        yield name, Xtr, ytr, Xte, yte


def scores(model, Xte, yte):
    """Accuracy with every modality, then with each modality absent."""
    out = [model.score(Xte, yte)]
    for m in range(len(Xte)):
        out.append(model.score([None if i == m else x for i, x in enumerate(Xte)], yte))
    return out


def fmt(values):
    return " | ".join(f"{v:.3f}" for v in values)


def sweep(data, dropouts, seed):
    print("| data | model | all present | m0 absent | m1 absent | fit s |")
    print("|---|---|---|---|---|---|")
    for name, Xtr, ytr, Xte, yte in data:
        alone = []
        for m in range(len(Xtr)):
            lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            alone.append(lr.fit(Xtr[m], ytr).score(Xte[m], yte))
        lr_all = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        lr_all.fit(np.hstack(Xtr), ytr)
        # Under "m absent": the regression on the modality that is left
        # (two modalities).
        print(f"| {name} | logistic regression (all: concatenated; m absent: on the other "
              f"modality alone) | {lr_all.score(np.hstack(Xte), yte):.3f} | "
              f"{fmt(alone[::-1])} | |", flush=True)
        for p in dropouts:
            start = time.perf_counter()
            clf = OMIBClassifier(modality_dropout=p, random_state=seed).fit(Xtr, ytr)
            took = time.perf_counter() - start
            print(f"| {name} | OMIB modality_dropout={p} | {fmt(scores(clf, Xte, yte))} | "
                  f"{took:.0f} |", flush=True)


def missing(data, dropout, seed, share=0.3):
    print(f"30% of the training rows lack one modality; modality_dropout={dropout}.\n")
    print("| data | training rows | all present | m0 absent | m1 absent | fit s |")
    print("|---|---|---|---|---|---|")
    for name, Xtr, ytr, Xte, yte in data:
        rng = np.random.default_rng(seed)
        n = len(ytr)
        lose = rng.choice(n, int(round(share * n)), replace=False)
        which = rng.integers(0, len(Xtr), len(lose))
        Xmiss = [x.astype(np.float64, copy=True) for x in Xtr]
        for m in range(len(Xtr)):
            Xmiss[m][lose[which == m]] = np.nan
        keep = np.setdiff1d(np.arange(n), lose)
        fits = [
            ("complete (all rows, no modality absent)", Xtr, ytr),
            ("30% rows with one modality absent", Xmiss, ytr),
            ("incomplete rows dropped", [x[keep] for x in Xtr], ytr[keep]),
        ]
        for label, X, y in fits:
            start = time.perf_counter()
            clf = OMIBClassifier(modality_dropout=dropout, random_state=seed).fit(X, y)
            took = time.perf_counter() - start
            print(f"| {name} | {label} ({len(y)}) | {fmt(scores(clf, Xte, yte))} | {took:.0f} |",
                  flush=True)


def main(argv):
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["sweep", "missing"], default="sweep")
    ap.add_argument("--data", default="SIM-I,SIM-II,SIM-III,mfeat")
    ap.add_argument("--n-train", type=int, default=2000,
                    help="training rows of the SIM data sets (0: all 9,000)")
    ap.add_argument("--dropouts", default="0,0.1,0.2,0.3")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data = datasets(args.data.split(","), args.n_train)
    print(f"Setting: one split per data set (seed {args.seed}), SIM training rows "
          f"subsampled to {args.n_train or 9000}, OMIBClassifier defaults otherwise, "
          "1 torch thread.\n")
    if args.part == "sweep":
        sweep(data, [float(p) for p in args.dropouts.split(",")], args.seed)
    else:
        missing(data, args.dropout, args.seed)


if __name__ == "__main__":
    main(sys.argv[1:])
