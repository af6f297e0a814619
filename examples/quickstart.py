"""
Quickstart: OMIB on the paper's SIM-I data beside logistic regression
======================================================================

SIM-I (Wu et al., ICML 2025, Sec. 6.2): two modalities of 1,100 and 700
features sharing a relevant block a0 and a superfluous block b0; modality 1
carries 500 specific relevant features, modality 2 only 100. 10,000 samples,
9:1 train/test split. Prints test accuracy of OMIBClassifier, of logistic
regression on its embedding, on the concatenated modalities and on the
oracle (relevant) features, and the beta chosen inside its MINE bounds.

Run: python examples/quickstart.py [--n-samples N]
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from omib_sklearn import OMIBClassifier
from omib_sklearn.datasets import make_multimodal_classification

# LogisticRegressionCV announces default changes of scikit-learn 1.10 / 1.11.
warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    X, y, oracle = make_multimodal_classification(
        n_samples=args.n_samples, specific_relevant="SIM-I", return_oracle=True,
        random_state=0,
    )
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.1, random_state=0, stratify=y
    )
    X_train, X_test = [x[idx_train] for x in X], [x[idx_test] for x in X]
    y_train, y_test = y[idx_train], y[idx_test]
    print(f"SIM-I: {len(idx_train)} train / {len(idx_test)} test samples, "
          f"modalities of {[x.shape[1] for x in X]} features")

    start = time.perf_counter()
    clf = OMIBClassifier(random_state=0).fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    low, high = clf.beta_bounds_

    def logreg():
        return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=8, max_iter=2000))

    rows = [
        ("OMIBClassifier (fusion head)", clf.score(X_test, y_test)),
        ("LogisticRegression on the OMIB embedding",
         logreg().fit(clf.transform(X_train), y_train).score(clf.transform(X_test), y_test)),
        ("LogisticRegression on [x1; x2]",
         logreg().fit(np.hstack(X_train), y_train).score(np.hstack(X_test), y_test)),
        ("LogisticRegression on the oracle [a0; a1; a2]",
         logreg().fit(oracle[idx_train], y_train).score(oracle[idx_test], y_test)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\n{'model':<{width}}  test accuracy")
    for name, acc in rows:
        print(f"{name:<{width}}  {acc:.3f}")
    print(f"\nMINE estimates (nats): H = {np.round(np.diag(clf.information_), 1).tolist()}, "
          f"I_12 = {clf.information_[0, 1]:.1f}")
    print(f"beta = {clf.beta_:.3g}, drawn from [M_l, M_u] = [{low:.3g}, {high:.3g}]")
    print(f"{clf.n_estimators} networks ({clf.validation_scheme_}), main-phase epochs chosen "
          f"by early stopping: {clf.best_epochs_['main'].tolist()}")
    refit = clf.fit_times_.get("refit")
    print(f"fit time {fit_seconds:.0f} s: MINE and beta {clf.fit_times_['beta']:.0f} s, "
          f"training {clf.fit_times_['warmup'] + clf.fit_times_['main']:.0f} s"
          + (f", refit {refit:.0f} s" if refit is not None else ""))


if __name__ == "__main__":
    main()
