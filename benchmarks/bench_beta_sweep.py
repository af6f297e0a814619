"""Where does beta="auto" land? Sweep beta over a log grid (1e-6 .. 10) on
SIM-I, SIM-II, SIM-III (3 seeds, 9:1 split) and UCI mfeat fou+pix (5-fold CV,
repeated with 3 shuffles: fit s is fold s % 5 of shuffle s // 5),
beside beta="auto" (MINE bounds) and logistic regression baselines.

Accuracy is reported with zeta = mu (what predict uses) and with sampled zeta
(a large gap reveals a collapsed bottleneck).

Run: python benchmarks/bench_beta_sweep.py [--device cuda] [--workers 12]
     [--params '{"lr": 3e-4}'] [--json out.json] [--png sweep.png]
     (--replot out.json --png sweep.png redraws the plot of an earlier run;
     the plot needs matplotlib: pip install .[benchmarks])
"""

import json
import os

import numpy as np
from _common import SIM_CASES, Timer, mfeat_folds, parser, run_parallel, sampled_accuracy, sim_split

BETAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    data, seed, beta, params, device = job
    if data == "mfeat":
        Xtr, ytr, Xte, yte = list(mfeat_folds(seed // 5))[seed % 5]
        rs = seed // 5
    else:
        Xtr, ytr, Xte, yte, _, _ = sim_split(data, seed)
        rs = seed
    clf = OMIBClassifier(beta=beta, random_state=rs, device=device, **params)
    with Timer() as t:
        clf.fit(Xtr, ytr)
    return {
        "data": data, "seed": seed, "beta_arg": beta, "beta": clf.beta_,
        "bounds": clf.beta_bounds_, "acc": clf.score(Xte, yte),
        "acc_sampled": sampled_accuracy(clf, Xte, yte), "seconds": t.seconds,
        "fit_times": clf.fit_times_, "r": clf.r_.tolist(),
        "information": None if clf.information_ is None else clf.information_.tolist(),
        "kl": clf.history_["main"][-1].get("kl"),
    }


def baselines(data):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def lr():
        return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=8, max_iter=3000))

    out = {"union": [], "best_single": []}
    repeats = int(os.environ.get("BENCH_MFEAT_REPEATS", "3"))
    splits = ([f for r in range(repeats) for f in mfeat_folds(r)] if data == "mfeat"
              else [sim_split(data, s)[:4] for s in range(int(os.environ.get("BENCH_SEEDS", "3")))])
    for Xtr, ytr, Xte, yte in splits:
        out["union"].append(lr().fit(np.hstack(Xtr), ytr).score(np.hstack(Xte), yte))
        out["best_single"].append(max(lr().fit(a, ytr).score(b, yte) for a, b in zip(Xtr, Xte)))
    return {k: float(np.mean(v)) for k, v in out.items()}


def main():
    ap = parser()
    ap.add_argument("--datasets", default=",".join(SIM_CASES + ("mfeat",)))
    ap.add_argument("--seeds", type=int, default=3, help="seeds per SIM case")
    ap.add_argument("--mfeat-repeats", type=int, default=3, help="5-fold CVs of mfeat, each shuffled anew")
    ap.add_argument("--betas", default=",".join(map(str, BETAS)))
    ap.add_argument("--png")
    ap.add_argument("--replot", help="draw --png from the --json file of an earlier run, fitting nothing")
    args = ap.parse_args()
    if args.png:
        import matplotlib  # noqa: F401  (fail before the fits, not after)
    params = args.params
    datasets = args.datasets.split(",")
    betas = [float(b) for b in args.betas.split(",") if b]
    if args.replot:
        with open(args.replot) as f:
            saved = json.load(f)
        rows = saved["rows"]
        datasets = [d for d in datasets if any(r["data"] == d for r in rows)]
        betas = sorted({r["beta_arg"] for r in rows if r["beta_arg"] != "auto"})
        plot(rows, saved["baselines"], datasets, betas, args.png)
        return
    jobs = []
    for data in datasets:
        seeds = range(5 * args.mfeat_repeats) if data == "mfeat" else range(args.seeds)
        for beta in betas + ["auto"]:
            jobs += [(data, s, beta, params, args.device) for s in seeds]
    os.environ["BENCH_SEEDS"] = str(args.seeds)
    os.environ["BENCH_MFEAT_REPEATS"] = str(args.mfeat_repeats)
    rows = run_parallel(fit_one, jobs, args.workers)
    base = dict(zip(datasets, run_parallel(baselines, datasets, min(args.workers, len(datasets)))))

    print(f"beta sweep; OMIBClassifier params: {params or 'defaults'}; device {args.device}")
    summary = {}
    for data in datasets:
        mine = [r for r in rows if r["data"] == data]
        auto = [r for r in mine if r["beta_arg"] == "auto"]
        lows = [r["bounds"][0] for r in auto]
        highs = [r["bounds"][1] for r in auto]
        print(f"\n{data}: M_l = {np.mean(lows):.3g}, M_u = {np.mean(highs):.3g} "
              f"(mean over {len(auto)} fits); LogisticRegression union {base[data]['union']:.4f}, "
              f"best single modality {base[data]['best_single']:.4f}")
        print(f"{'beta':>10} | {'acc (mu)':>9} {'+-':>6} | {'acc (sampled)':>13} | {'r_2':>5} | {'s/fit':>6}")
        best = 0
        table = []
        for beta in betas + ["auto"]:
            rs = [r for r in mine if r["beta_arg"] == beta]
            acc = np.mean([r["acc"] for r in rs])
            if beta != "auto":
                best = max(best, acc)
            label = f"auto {np.mean([r['beta'] for r in rs]):.2g}" if beta == "auto" else f"{beta:.0e}"
            table.append((beta, acc))
            print(f"{label:>10} | {acc:>9.4f} {np.std([r['acc'] for r in rs]):>6.4f} | "
                  f"{np.mean([r['acc_sampled'] for r in rs]):>13.4f} | "
                  f"{np.mean([r['r'][1] for r in rs]):>5.2f} | {np.mean([r['seconds'] for r in rs]):>6.1f}")
        auto_acc = dict(table)["auto"]
        share = np.mean([r["fit_times"]["beta"] / sum(r["fit_times"].values()) for r in auto])
        if betas:
            print(f"auto vs best of sweep: {auto_acc:.4f} vs {best:.4f} (gap {best - auto_acc:+.4f})")
        print(f"beta selection = {100 * share:.1f}% of fit time")
        summary[data] = {"auto": auto_acc, "best": best, "table": table, **base[data]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"params": params, "rows": rows, "baselines": base, "summary": summary}, f, default=float)
    if args.png:
        plot(rows, base, datasets, betas, args.png)

def plot(rows, base, datasets, betas, path):
    """Accuracy against beta per data set, with [M_l, M_u] and beta="auto"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.2))
    for ax, data in zip(np.atleast_1d(axes), datasets):
        mine = [r for r in rows if r["data"] == data]
        accs = [np.mean([r["acc"] for r in mine if r["beta_arg"] == b]) for b in betas]
        samp = [np.mean([r["acc_sampled"] for r in mine if r["beta_arg"] == b]) for b in betas]
        ax.semilogx(betas, accs, "o-", label="zeta = mu")
        ax.semilogx(betas, samp, "s--", label="sampled zeta")
        auto = [r for r in mine if r["beta_arg"] == "auto"]
        ax.axvspan(np.mean([r["bounds"][0] for r in auto]), np.mean([r["bounds"][1] for r in auto]),
                   color="C2", alpha=0.3, label="[M_l, M_u]")
        ax.plot([np.mean([r["beta"] for r in auto])], [np.mean([r["acc"] for r in auto])], "r*",
                ms=12, label="beta='auto'")
        ax.axhline(base[data]["union"], color="gray", ls=":", label="LogReg union")
        ax.set_title(data)
        ax.set_xlabel("beta")
    np.atleast_1d(axes)[0].set_ylabel("test accuracy")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
