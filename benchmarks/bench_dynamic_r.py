"""Do the dynamic weights r help? A synthetic case where modality 2 holds a
small specific relevant block a2 that the label needs (a2: 30 of 430
features; modality 1 has 300), 3 seeds, dynamic r against r fixed at 1, at
beta="auto" and at a 20x larger beta where the bottleneck squeezes harder.

Run: python benchmarks/bench_dynamic_r.py [--device cuda] [--workers 12] [--params '{}'] [--png r.png]
"""

import json
import os

import numpy as np
from _common import parser, run_parallel
from sklearn.model_selection import train_test_split

SPEC = dict(shared_relevant=50, shared_superfluous=200, specific_relevant=(300, 30),
            specific_superfluous=(200, 200))


def data(seed):
    from omib_sklearn.datasets import make_multimodal_classification

    n = int(os.environ.get("BENCH_N", "10000"))
    X, y = make_multimodal_classification(n_samples=n, random_state=seed, **SPEC)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.1, random_state=seed, stratify=y)
    return [x[tr] for x in X], y[tr], [x[te] for x in X], y[te]


def fit_one(job):
    from omib_sklearn import OMIBClassifier

    seed, dynamic, scale, params, device = job
    Xtr, ytr, Xte, yte = data(seed)
    probe = OMIBClassifier(random_state=seed, **params)
    beta = "auto"
    if scale != 1:
        probe.set_params(max_epochs=1, warmup_epochs=0).fit(Xtr, ytr)
        beta = probe.beta_ * scale
    clf = OMIBClassifier(random_state=seed, device=device, dynamic_r=dynamic, beta=beta, **params)
    clf.fit(Xtr, ytr)
    return {"seed": seed, "dynamic": dynamic, "scale": scale, "beta": clf.beta_,
            "acc": clf.score(Xte, yte), "r_history": clf.r_history_[:, 1].tolist(),
            "kl_last": clf.history_["main"][-1].get("kl")}


def main():
    ap = parser()
    ap.add_argument("--png")
    args = ap.parse_args()
    params = args.params
    jobs = [(s, d, k, params, args.device) for k in (1, 20) for d in (True, False) for s in range(3)]
    rows = run_parallel(fit_one, jobs, args.workers)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, default=float)
    print(f"dynamic r ablation; data {SPEC}; params {params or 'defaults'}; mean of 3 seeds")
    print(f"{'beta':>12} {'r':>8} | {'acc':>7} {'+-':>6} | {'r_2 first/mid/last epoch':>26} | {'KL_1, KL_2 (last epoch)':>24}")
    for k in (1, 20):
        for d in (True, False):
            rs = [r for r in rows if r["scale"] == k and r["dynamic"] == d]
            # Early stopping gives runs of different lengths: average the
            # first, middle and last epoch of each run.
            traj = np.mean([[h[0], h[len(h) // 2], h[-1]] for h in (r["r_history"] for r in rs)], axis=0)
            kl = np.mean([r["kl_last"] for r in rs], axis=0)
            label = "auto" if k == 1 else "20 x auto"
            print(f"{label:>12} {'dynamic' if d else 'fixed 1':>8} | {np.mean([r['acc'] for r in rs]):>7.4f} "
                  f"{np.std([r['acc'] for r in rs]):>6.4f} | {traj[0]:>8.3f} {traj[1]:>8.3f} {traj[2]:>8.3f} | "
                  f"{kl[0]:>11.2f} {kl[1]:>11.2f}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
        for k, style in ((1, "-"), (20, "--")):
            rs = [r for r in rows if r["scale"] == k and r["dynamic"]]
            for i, r in enumerate(rs):
                ax.plot(r["r_history"], style, color=f"C{k == 20:d}",
                        label=f"r_2, beta = {'auto' if k == 1 else '20 x auto'}" if i == 0 else None)
        ax.axhline(1.0, color="gray", ls=":")
        ax.set_xlabel("main-phase epoch (one line per seed)")
        ax.set_ylabel("r_2")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)


if __name__ == "__main__":
    main()
