"""Choose the training defaults (lr, weight decay, dropout, early stopping)
by VALIDATION accuracy on SIM-I and SIM-II, beta fixed; test accuracy shown too.

The selection never looks at the test split: each training set is split 9:1
again and the configuration with the best mean validation accuracy wins.

Run: python benchmarks/bench_defaults.py [--device cuda] [--workers 12] [--json out.json]
"""

import itertools
import json

import numpy as np
from _common import Timer, parser, run_parallel, sim_split
from sklearn.model_selection import train_test_split

GRID = {
    "lr": [1e-3, 3e-4],
    "weight_decay": [0.0, 0.05, 0.5],
    "dropout": [0.0, 0.3],
    "early_stopping": [False, True],
}


MAX_EPOCHS = 40


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    case, params, device = job
    Xtr, ytr, Xte, yte, _, _ = sim_split(case, seed=0)
    fit_idx, val_idx = train_test_split(np.arange(len(ytr)), test_size=0.1, random_state=1, stratify=ytr)
    clf = OMIBClassifier(random_state=0, device=device, beta=5e-4, **params)
    with Timer() as t:
        clf.fit([x[fit_idx] for x in Xtr], ytr[fit_idx])
    return {
        "case": case, **params,
        "val": clf.score([x[val_idx] for x in Xtr], ytr[val_idx]),
        "test": clf.score(Xte, yte), "epochs": clf.n_epochs_["main"], "seconds": t.seconds,
    }


def main():
    ap = parser(params=False)
    args = ap.parse_args()
    configs = [dict(zip(GRID, values), max_epochs=MAX_EPOCHS) for values in itertools.product(*GRID.values())]
    jobs = [(case, cfg, args.device) for cfg in configs for case in ("SIM-I", "SIM-II")]
    rows = run_parallel(fit_one, jobs, args.workers)
    table = []
    for cfg in configs:
        mine = [r for r in rows if all(r[k] == v for k, v in cfg.items())]
        table.append({**cfg, "val": np.mean([r["val"] for r in mine]),
                      "test": np.mean([r["test"] for r in mine]),
                      "epochs": np.mean([r["epochs"] for r in mine]),
                      "seconds": np.mean([r["seconds"] for r in mine])})
    table.sort(key=lambda r: -r["val"])
    print("Defaults grid (beta = 5e-4, SIM-I and SIM-II seed 0; mean of the two cases)")
    print(f"{'lr':>7} {'wd':>5} {'drop':>4} {'es':>5} | {'val acc':>7} {'test acc':>8} {'epochs':>6} {'s/fit':>6}")
    for r in table:
        print(f"{r['lr']:>7.0e} {r['weight_decay']:>5} {r['dropout']:>4} {str(r['early_stopping']):>5} | "
              f"{r['val']:>7.4f} {r['test']:>8.4f} {r['epochs']:>6.1f} {r['seconds']:>6.1f}")
    best = {k: table[0][k] for k in GRID}
    best["max_epochs"] = MAX_EPOCHS
    print("best by validation:", best)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"best": best, "rows": rows}, f, indent=1, default=float)


if __name__ == "__main__":
    main()
