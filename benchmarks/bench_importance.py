"""Modality importance against single-modality accuracy on SIM-I/II/III.

For each data set, an OMIBClassifier trained on complete rows with modality
dropout (so that it predicts with a modality absent) is scored by
``omib_sklearn.inspection.modality_importance`` on the test rows, and a
logistic regression is trained on each modality alone. A modality that
carries more of the label on its own should lose more when it is absent:
the two orders should agree. Prints a markdown table.

Run: python benchmarks/bench_importance.py [--n-samples 3000] [--threads 1]
"""

import argparse

import numpy as np
import torch
from _common import SIM_CASES, sim_split
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from omib_sklearn import OMIBClassifier
from omib_sklearn.inspection import modality_importance


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-samples", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"SIM data, {args.n_samples} samples (9:1 split, seed 0); OMIBClassifier("
          f"modality_dropout=0.3, random_state=0), importance over 5 bootstrap resamples; "
          f"torch threads = {args.threads}\n")
    print("| data | modality | LR on it alone | importance (drop in accuracy) | orders agree |")
    print("|---|---|---|---|---|")
    for case in SIM_CASES:
        Xtr, ytr, Xte, yte, _, _ = sim_split(case, 0, n_samples=args.n_samples)
        clf = OMIBClassifier(modality_dropout=0.3, random_state=0).fit(Xtr, ytr)
        imp = modality_importance(clf, Xte, yte, random_state=0)
        alone = [
            make_pipeline(StandardScaler(), LogisticRegressionCV(max_iter=3000))
            .fit(a, ytr).score(b, yte)
            for a, b in zip(Xtr, Xte)
        ]
        agree = bool(np.argmax(alone) == np.argmax(imp.importances_mean))
        for m in range(len(Xtr)):
            print(f"| {case} | m{m} | {alone[m]:.3f} | {imp.importances_mean[m]:.3f} "
                  f"± {imp.importances_std[m]:.3f} | {'yes' if agree else 'no'} |")


if __name__ == "__main__":
    main()
