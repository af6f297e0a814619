"""Benchmark: OMIBAnomalyDetector on UCI Multiple Features (fou + pix), one-class.

Protocol (for each digit d = 0..9): the 200 samples of d are split 150 / 50
(seeded); the detector is fitted on the 150. The test set is the 50 held-out
samples of d (normal) plus 50 samples drawn at random from the other nine
digits (anomalies). Metrics: ROC AUC of the anomaly score, and the paper's F1
of the anomaly class with the threshold set so that the number of flagged
samples equals the true number of anomalies (50). Baselines: IsolationForest
and OneClassSVM (RBF, gamma="scale", nu=0.1) on the standardized concatenated
views. Reported: per-digit AUC and the mean over the ten digits.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_anomaly.py [--param value ...]
"""

import os
import sys
import time

import numpy as np
import torch
from _common import parse_overrides
from sklearn.ensemble import IsolationForest
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from omib_sklearn import OMIBAnomalyDetector
from omib_sklearn.datasets import load_multiple_features

N_TRAIN, N_TEST_NORMAL, N_TEST_ANOMALY = 150, 50, 50


def top_k_f1(y_true, outlier_score):
    """F1 of the anomaly class when the k highest scores are flagged, k = #anomalies."""
    k = int(y_true.sum())
    flagged = np.zeros_like(y_true)
    flagged[np.argsort(-outlier_score, kind="stable")[:k]] = 1
    return f1_score(y_true, flagged)


def one_class_splits(y, digit, seed):
    rng = np.random.default_rng(seed)
    normal = rng.permutation(np.flatnonzero(y == digit))
    others = rng.choice(np.flatnonzero(y != digit), N_TEST_ANOMALY, replace=False)
    train = normal[:N_TRAIN]
    test = np.concatenate([normal[N_TRAIN:N_TRAIN + N_TEST_NORMAL], others])
    y_test = np.r_[np.zeros(N_TEST_NORMAL, int), np.ones(N_TEST_ANOMALY, int)]
    return train, test, y_test


def main(argv):
    torch.set_num_threads(1)
    overrides = parse_overrides(argv)
    (fou, pix), y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
    print(f"mfeat fou ({fou.shape[1]}) + pix ({pix.shape[1]}); per digit: train "
          f"{N_TRAIN} normal, test {N_TEST_NORMAL} normal + {N_TEST_ANOMALY} other digits")
    print(f"threads: torch.get_num_threads()={torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    if overrides:
        print(f"OMIBAnomalyDetector overrides: {overrides}")
    concat = np.hstack([fou, pix])
    models = {
        "IsolationForest (concat)": lambda: make_pipeline(
            StandardScaler(), IsolationForest(n_estimators=200, random_state=0)),
        "OneClassSVM (concat)": lambda: make_pipeline(
            StandardScaler(), OneClassSVM(gamma="scale", nu=0.1)),
        "OMIBAnomalyDetector (fou, pix)": lambda: OMIBAnomalyDetector(
            random_state=0, **overrides),
    }
    auc = {name: [] for name in models}
    f1 = {name: [] for name in models}
    seconds = dict.fromkeys(models, 0.0)
    for digit in range(10):
        train, test, y_test = one_class_splits(y, digit, seed=digit)
        for name, make in models.items():
            start = time.perf_counter()
            model = make()
            if name.startswith("OMIB"):
                model.fit([fou[train], pix[train]])
                normality = model.score_samples([fou[test], pix[test]])
            else:
                model.fit(concat[train])
                normality = model.score_samples(concat[test])
            seconds[name] += time.perf_counter() - start
            auc[name].append(roc_auc_score(y_test, -normality))
            f1[name].append(top_k_f1(y_test, -normality))
    print()
    print("ROC AUC per digit")
    print(f"{'model':32s} " + " ".join(f"{d:>5d}" for d in range(10)) + "   mean")
    for name in models:
        print(f"{name:32s} " + " ".join(f"{a:5.3f}" for a in auc[name])
              + f"  {np.mean(auc[name]):5.3f}")
    print()
    print(f"{'model':32s} {'mean AUC':>16s} {'mean F1':>16s} {'time (s)':>9s}")
    for name in models:
        print(f"{name:32s} {np.mean(auc[name]):7.3f} +- {np.std(auc[name]):5.3f} "
              f"{np.mean(f1[name]):7.3f} +- {np.std(f1[name]):5.3f} {seconds[name]:9.1f}")
    omib = np.mean(auc["OMIBAnomalyDetector (fou, pix)"])
    iforest = np.mean(auc["IsolationForest (concat)"])
    print(f"\nOMIB mean AUC {omib:.3f}, IsolationForest's {iforest:.3f}: "
          f"difference {omib - iforest:+.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
