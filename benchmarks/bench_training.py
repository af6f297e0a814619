"""Training configurations side by side: SIM cases (9:1 split, one seed per
data set and model) and UCI mfeat fou+pix (5-fold CV), test accuracy of the
OMIB head, printed as each fit ends and summarized at the end.

Each configuration is a dict of OMIBClassifier parameters on top of the
defaults; SIM fits use beta = 8.4e-5 (what beta="auto" picks there, so that
the comparison does not pay for MINE), mfeat fits use beta="auto".

Run:  python benchmarks/bench_training.py [--cases SIM-I,mfeat] [--seeds 0,1,2]
      [--workers 2] [--configs '{"name": {"lr": 3e-4}, ...}' | --configs file.json]

With ``--ensemble``, the configurations are read as members of one ensemble
and the accuracy of their averaged probabilities is printed per data set.
"""

import argparse
import json
import os
import time

import numpy as np
from _common import iter_parallel, mfeat_folds, parse_range, sim_split

DEFAULT_CONFIGS = {
    "defaults": {},
    "no input-layer decay, no averaging": {
        "lr": 3e-4, "n_iter_no_change": 5, "input_weight_decay": 0.0, "averaging_epochs": 0},
    "no input-layer decay": {"input_weight_decay": 0.0},
    "no weight averaging": {"averaging_epochs": 0},
}


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    name, case, seed, params = job
    if case == "mfeat":
        # seed s: fold s % 5 of the 5-fold CV shuffled with seed s // 5
        Xtr, ytr, Xte, yte = list(mfeat_folds(seed // 5))[seed % 5]
        kwargs = {"beta": "auto", "random_state": seed}
    else:
        Xtr, ytr, Xte, yte, _, _ = sim_split(case, seed)
        kwargs = {"beta": 8.4e-5, "random_state": seed}
    kwargs.update(params)
    start = time.perf_counter()
    clf = OMIBClassifier(**kwargs).fit(Xtr, ytr)
    proba = clf.predict_proba(Xte)
    acc = float(np.mean(clf.classes_[proba.argmax(1)] == yte))
    return name, case, seed, acc, time.perf_counter() - start, dict(clf.n_epochs_), proba, yte


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="SIM-I")
    ap.add_argument("--seeds", default="0,1,2", help="SIM seeds / mfeat fits (s: fold s %% 5 of CV shuffle s // 5)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--configs", help="JSON text or a path to a JSON file")
    ap.add_argument("--ensemble", action="store_true")
    args = ap.parse_args()
    configs = DEFAULT_CONFIGS
    if args.configs:
        text = open(args.configs).read() if os.path.exists(args.configs) else args.configs
        configs = json.loads(text)
    cases = args.cases.split(",")
    seeds = parse_range(args.seeds)
    jobs = [(n, c, s, p) for n, p in configs.items() for c in cases for s in seeds]
    print(f"{len(jobs)} fits, {args.workers} worker(s), "
          f"torch threads per worker = {os.environ.get('BENCH_THREADS', '1')}", flush=True)
    results = []
    for row in iter_parallel(fit_one, jobs, args.workers):
        name, case, seed, acc, seconds, epochs, _, _ = row
        print(f"{name:40s} {case:7s} seed {seed}: {acc:.4f}  {seconds:6.1f} s  {epochs}", flush=True)
        results.append(row)
    print()
    for name in configs:
        for case in cases:
            accs = [r[3] for r in results if r[0] == name and r[1] == case]
            secs = [r[4] for r in results if r[0] == name and r[1] == case]
            print(f"{name:40s} {case:7s} {np.mean(accs):.4f} +- {np.std(accs):.4f} "
                  f"({len(accs)} fits, {np.mean(secs):.1f} s/fit)")
    if args.ensemble:
        for case in cases:
            for seed in seeds:
                members = [r for r in results if r[1] == case and r[2] == seed]
                proba = np.mean([r[6] for r in members], axis=0)
                yte = members[0][7]
                labels = np.unique(yte)
                acc = np.mean(labels[proba.argmax(1)] == yte)
                print(f"ensemble of {len(members)} {case} seed {seed}: {acc:.4f} "
                      f"(members {', '.join(f'{r[3]:.3f}' for r in members)})")


if __name__ == "__main__":
    main()
