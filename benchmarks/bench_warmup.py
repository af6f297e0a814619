"""Effect of the warm-up length (phase 1 epochs) on SIM-I and SIM-III,
3 seeds, beta="auto", other parameters at their defaults (or --params).

Run: python benchmarks/bench_warmup.py [--device cuda] [--workers 12] [--params '{}']
"""

import json

import numpy as np
from _common import parser, run_parallel, sim_split

WARMUPS = [0, 2, 10, 20]


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    case, seed, warmup, params, device = job
    Xtr, ytr, Xte, yte, _, _ = sim_split(case, seed)
    clf = OMIBClassifier(random_state=seed, device=device, **{**params, "warmup_epochs": warmup})
    clf.fit(Xtr, ytr)
    warm = clf.history_["warmup"]
    return {"case": case, "seed": seed, "warmup": warmup, "acc": clf.score(Xte, yte),
            "warm_loss": warm[-1]["train_loss"] if warm else None, "warm_epochs": len(warm)}


def main():
    ap = parser()
    ap.add_argument("--warmups", default=",".join(map(str, WARMUPS)))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cases", default="SIM-I,SIM-III")
    args = ap.parse_args()
    params = args.params
    params.pop("warmup_epochs", None)
    warmups = [int(w) for w in args.warmups.split(",")]
    cases = args.cases.split(",")
    jobs = [(c, s, w, params, args.device) for c in cases for w in warmups for s in range(args.seeds)]
    rows = run_parallel(fit_one, jobs, args.workers)
    print(f"warm-up length (at most; early stopping may end it); params {params or 'defaults'}; "
          f"mean of {args.seeds} seeds")
    print(f"{'warm-up epochs':>14} | " + " | ".join(f"{c + ' acc':>11}" for c in cases)
          + f" | {'warm-up epochs run':>18} | {'end-of-warm-up train loss':>25}")
    for w in warmups:
        mine = [r for r in rows if r["warmup"] == w]
        accs = " | ".join(f"{np.mean([r['acc'] for r in mine if r['case'] == c]):>11.4f}" for c in cases)
        losses = [r["warm_loss"] for r in mine if r["warm_loss"] is not None]
        loss = f"{np.mean(losses):.4f}" if losses else "-"
        print(f"{w:>14} | {accs} | {np.mean([r['warm_epochs'] for r in mine]):>18.1f} | {loss:>25}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, default=float)


if __name__ == "__main__":
    main()
