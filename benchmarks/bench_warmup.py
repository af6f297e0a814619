"""Effect of the warm-up length (phase 1 epochs) on SIM-I and SIM-III,
3 seeds, beta="auto", other parameters at their defaults (or --params).

Run: python benchmarks/bench_warmup.py [--device cuda] [--workers 12] [--params '{}']
"""

import argparse
import json

import numpy as np
from _common import run_parallel, sim_split

WARMUPS = [0, 1, 2, 5, 20]


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    case, seed, warmup, params, device = job
    Xtr, ytr, Xte, yte, _, _ = sim_split(case, seed)
    clf = OMIBClassifier(random_state=seed, device=device, **{**params, "warmup_epochs": warmup})
    clf.fit(Xtr, ytr)
    warm = clf.history_["warmup"]
    return {"case": case, "seed": seed, "warmup": warmup, "acc": clf.score(Xte, yte),
            "warm_loss": warm[-1]["train_loss"] if warm else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--params", default="{}")
    ap.add_argument("--json")
    args = ap.parse_args()
    params = json.loads(args.params)
    params.pop("warmup_epochs", None)
    jobs = [(c, s, w, params, args.device) for c in ("SIM-I", "SIM-III") for w in WARMUPS for s in range(3)]
    rows = run_parallel(fit_one, jobs, args.workers)
    print(f"warm-up length; params {params or 'defaults'}; mean of 3 seeds")
    print(f"{'warm-up epochs':>14} | {'SIM-I acc':>9} | {'SIM-III acc':>11} | {'end-of-warm-up train loss (SIM-I)':>34}")
    for w in WARMUPS:
        acc = {c: np.mean([r["acc"] for r in rows if r["case"] == c and r["warmup"] == w]) for c in ("SIM-I", "SIM-III")}
        losses = [r["warm_loss"] for r in rows if r["case"] == "SIM-I" and r["warmup"] == w and r["warm_loss"] is not None]
        loss = f"{np.mean(losses):.4f}" if losses else "-"
        print(f"{w:>14} | {acc['SIM-I']:>9.4f} | {acc['SIM-III']:>11.4f} | {loss:>34}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, default=float)


if __name__ == "__main__":
    main()
