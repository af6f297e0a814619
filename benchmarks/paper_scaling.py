"""Scaling with the number of rows, in the manner of the paper's Figure 4.

SIM-III (two modalities of 900 columns) at each size n: one epoch of the
warm-up and one of the main phase (one network, a fixed beta, no early
stopping, so that each phase is exactly one pass over the rows), each size
in its own process so that its peak resident memory is its own. Prints
seconds per epoch of each phase, a least-squares line through them, and the
peak memory beside the size of the float32 input.

The data are generated block by block straight into float32 arrays (the
package's generator holds float64 copies of every block, which at 10^6 rows
is more than this benchmark measures).

Run: python benchmarks/paper_scaling.py [--sizes 10000,30000,100000,300000]
     [--threads 2] [--json out.json] [--png scaling.png]
"""

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def sim_iii_float32(n, seed=0, chunk=50_000):
    """SIM-III drawn in chunks of rows into float32 arrays: [a0, b0, a_m, b_m]
    per modality, y from a fixed random hyperplane on [a0, a1, a2]."""
    rng = np.random.default_rng(seed)
    widths = dict(a0=200, b0=200, a1=300, a2=300, b1=200, b2=200)
    delta = rng.standard_normal(800)
    X1 = np.empty((n, 900), np.float32)
    X2 = np.empty((n, 900), np.float32)
    y = np.empty(n, np.int64)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        b = {k: rng.standard_normal((m, w), dtype=np.float32) for k, w in widths.items()}
        X1[start:start + m] = np.hstack([b["a0"], b["b0"], b["a1"], b["b1"]])
        X2[start:start + m] = np.hstack([b["a0"], b["b0"], b["a2"], b["b2"]])
        y[start:start + m] = np.hstack([b["a0"], b["a1"], b["a2"]]) @ delta > 0
    return [X1, X2], y


def peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child(n, threads):
    import torch

    from omib_sklearn import OMIBClassifier

    torch.set_num_threads(threads)
    X, y = sim_iii_float32(n)
    data_gib = sum(x.nbytes for x in X) / 2**30
    after_data = peak_gib()
    clf = OMIBClassifier(n_estimators=1, warmup_epochs=1, max_epochs=1, beta=1e-4,
                         early_stopping=False, random_state=0)
    start = time.perf_counter()
    clf.fit(X, y)
    total = time.perf_counter() - start
    print(json.dumps({
        "n": n, "threads": threads, "warmup_s": clf.fit_times_["warmup"],
        "main_s": clf.fit_times_["main"], "fit_s": total, "data_gib": data_gib,
        "peak_after_data_gib": after_data, "peak_gib": peak_gib(),
    }))


def main():
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,30000,100000,300000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.threads)
        return
    print(f"SIM-III, one network, one epoch per phase, {args.threads} torch thread(s)")
    print(f"{'rows':>9} | {'warm-up s/epoch':>15} | {'main s/epoch':>12} | "
          f"{'input GiB':>9} | {'peak GiB':>8}")
    rows = []
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    for n in map(int, args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--threads",
                              str(args.threads)], capture_output=True, text=True, env=env)
        if out.returncode:
            print(f"{n:>9} | failed: {out.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{n:>9} | {r['warmup_s']:>15.2f} | {r['main_s']:>12.2f} | "
              f"{r['data_gib']:>9.2f} | {r['peak_gib']:>8.2f}", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
    if len(rows) >= 2:
        n = np.array([r["n"] for r in rows], float)
        for key, label in (("warmup_s", "warm-up"), ("main_s", "main phase"),
                           ("peak_gib", "peak memory (GiB)")):
            v = np.array([r[key] for r in rows])
            slope, intercept = np.polyfit(n, v, 1)
            resid = v - (slope * n + intercept)
            r2 = 1 - resid @ resid / ((v - v.mean()) @ (v - v.mean()))
            print(f"{label}: {slope * 1e5:.3f} per 10^5 rows + {intercept:.2f} (R^2 {r2:.4f}); "
                  f"at 10^6 rows: {slope * 1e6 + intercept:.1f}")
    if args.png and rows:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
        n = [r["n"] for r in rows]
        axes[0].plot(n, [r["warmup_s"] for r in rows], "o-", label="warm-up")
        axes[0].plot(n, [r["main_s"] for r in rows], "s-", label="main phase")
        axes[0].set(xlabel="rows", ylabel="seconds per epoch", title="Time per epoch (SIM-III)")
        axes[0].legend()
        axes[1].plot(n, [r["peak_gib"] for r in rows], "o-", label="peak resident")
        axes[1].plot(n, [r["data_gib"] for r in rows], "--", label="float32 input")
        axes[1].set(xlabel="rows", ylabel="GiB", title="Memory")
        axes[1].legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=120)


if __name__ == "__main__":
    main()
