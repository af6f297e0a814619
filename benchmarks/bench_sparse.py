"""Sparse modalities: memory and time on a wide sparse modality, and
accuracy of sparse input against the same data densified.

``--part large``: a random CSR modality of ``--n`` rows x 50,000 columns
at 0.1% density (seeded; values uniform in [0, 1)) and a dense modality of
20 columns; the label is the sign of a sparse linear score of both (10% of
the sparse columns and every dense one weigh in) plus noise, at its median.
``OMIBClassifier(max_epochs=1, warmup_epochs=1, n_estimators=1,
early_stopping=False, beta=1e-3, encoder_hidden=(64,), embedding_dim=64)``
fitted once: the seconds of the warm-up epoch and of the main epoch, and
the peak resident memory of the process (``ru_maxrss``; the process does
nothing else). Then the time of ``beta="auto"``'s information estimates
(the TruncatedSVD of the sparse modality and MINE) on ``--auto-n`` rows.

``--part small``: ``--small-n`` rows (default 1,200) x 2,000 columns at 1%
density plus a dense modality of 10 columns; 80/20 split; OMIBClassifier
with its defaults except ``max_epochs`` (``--small-epochs``, default 30),
fitted on the sparse modality and on the same modality densified, seeds 0,
1, 2; test accuracy. With ``standardize=True`` (the default) the sparse
modality is scaled without centring and the densified one centred too, so
the two differ by that shift; with ``standardize=False`` (``--standardize
1,0`` adds it) they are the same model but for beta, which ``beta="auto"``
estimates from the TruncatedSVD view of the sparse modality. The sizes are
scaled down from 3,000 rows and 100 epochs to finish in minutes on one busy
core.

Each part runs in a subprocess of its own (its own peak memory). The table
is printed and written to ``benchmarks/results/sparse.md``.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_sparse.py
      OMP_NUM_THREADS=1 python benchmarks/bench_sparse.py --part small --standardize 1,0 \
          --out benchmarks/results/sparse_small.md
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

N_COLUMNS = 50_000


def sparse_matrix(n, p, density, rng):
    """A random CSR matrix without building the dense index space."""
    nnz = int(round(n * p * density))
    rows = rng.integers(0, n, nnz)
    cols = rng.integers(0, p, nnz)
    vals = rng.random(nnz).astype(np.float32)
    out = sp.csr_matrix((vals, (rows, cols)), shape=(n, p), dtype=np.float32)
    out.sum_duplicates()
    return out


def make_data(n, p, density, n_dense, seed):
    rng = np.random.default_rng(seed)
    S = sparse_matrix(n, p, density, rng)
    D = rng.normal(size=(n, n_dense)).astype(np.float32)
    w = rng.normal(size=p) * (rng.random(p) < 0.1)
    score = S @ w
    score = score / score.std() + D @ rng.normal(size=n_dense) / np.sqrt(n_dense)
    score = score + 0.3 * rng.normal(size=n)
    return S, D, (score > np.median(score)).astype(int)


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def part_large(args):
    from omib_sklearn import OMIBClassifier

    S, D, y = make_data(args.n, N_COLUMNS, 1e-3, 20, 0)
    after_data = peak_rss_gb()
    clf = OMIBClassifier(max_epochs=1, warmup_epochs=1, n_estimators=1, early_stopping=False,
                         beta=1e-3, encoder_hidden=(64,), embedding_dim=64, random_state=0)
    start = time.perf_counter()
    clf.fit([S, D], y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = clf.score([S[:10_000], D[:10_000]], y[:10_000])
    predict_s = time.perf_counter() - start
    fit_peak = peak_rss_gb()

    # beta="auto": the information estimates of fit (stage 2), timed alone.
    auto = OMIBClassifier(beta="auto", random_state=0)
    rows = slice(0, args.auto_n)
    arrays, _, _ = auto._check_fit_input([S[rows], D[rows]], y[rows], None)
    start = time.perf_counter()
    auto._choose_beta(arrays, np.random.RandomState(0))
    auto_s = time.perf_counter() - start
    return {
        "n": args.n, "nnz": int(S.nnz), "data_gb": after_data, "peak_gb": fit_peak,
        "peak_after_auto_gb": peak_rss_gb(), "warmup_s": clf.fit_times_["warmup"],
        "main_s": clf.fit_times_["main"], "fit_s": fit_s, "predict_10k_s": predict_s,
        "train_accuracy_10k": accuracy, "auto_n": args.auto_n, "auto_s": auto_s,
        "auto_beta": auto.beta_, "dense_gb": args.n * N_COLUMNS * 4 / 2**30,
    }


def part_small(args):
    from omib_sklearn import OMIBClassifier

    results = []
    for seed in (0, 1, 2):
        S, D, y = make_data(args.small_n, 2000, 1e-2, 10, 100 + seed)
        cut = int(0.8 * len(y))
        for standardize in args.standardize:
            for form in ("sparse", "dense"):
                A = S if form == "sparse" else S.toarray()
                clf = OMIBClassifier(max_epochs=args.small_epochs, standardize=standardize,
                                     random_state=seed)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit([A[:cut], D[:cut]], y[:cut])
                seconds = time.perf_counter() - start
                acc = clf.score([A[cut:], D[cut:]], y[cut:])
                results.append({"seed": seed, "standardize": standardize, "form": form,
                                "accuracy": acc, "fit_s": seconds})
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    return results


def table(large, small, args):
    lines = ["# Sparse modalities", "",
             "`benchmarks/bench_sparse.py`; 1 torch thread (OMP_NUM_THREADS=1), CPU, on a "
             "machine whose other cores ran other benchmarks.", ""]
    if large:
        lines += [
            f"## (a) {large['n']:,} x {N_COLUMNS:,} CSR at 0.1% density ({large['nnz']:,} "
            "nonzeros) + 20 dense columns", "",
            "OMIBClassifier(max_epochs=1, warmup_epochs=1, n_estimators=1, "
            "early_stopping=False, beta=1e-3, encoder_hidden=(64,), embedding_dim=64)", "",
            "| measure | value |", "|---|---|",
            f"| the data alone (peak RSS) | {large['data_gb']:.2f} GB |",
            f"| peak RSS after fit and predicting 10,000 rows | {large['peak_gb']:.2f} GB |",
            f"| the sparse modality dense (float32) | {large['dense_gb']:.1f} GB |",
            f"| warm-up epoch | {large['warmup_s']:.0f} s |",
            f"| main epoch | {large['main_s']:.0f} s |",
            f"| whole fit | {large['fit_s']:.0f} s |",
            f"| predict 10,000 rows | {large['predict_10k_s']:.1f} s |",
            f"| accuracy on 10,000 training rows (1 epoch) | {large['train_accuracy_10k']:.3f} |",
            f"| beta='auto' information estimates, {large['auto_n']:,} rows | "
            f"{large['auto_s']:.1f} s (beta = {large['auto_beta']:.3g}) |",
            f"| peak RSS after beta='auto' | {large['peak_after_auto_gb']:.2f} GB |",
            "",
        ]
    if small:
        lines += [
            f"## (b) {args.small_n:,} x 2,000 CSR at 1% density + 10 dense columns, "
            f"sparse vs densified", "",
            f"80/20 split, OMIBClassifier defaults except max_epochs={args.small_epochs}; "
            "test accuracy per seed (mean).", "",
            "| standardize | input | seed 0 | seed 1 | seed 2 | mean | fit s (mean) |",
            "|---|---|---|---|---|---|---|",
        ]
        for standardize in args.standardize:
            for form in ("sparse", "dense"):
                rows = [r for r in small if r["standardize"] == standardize and r["form"] == form]
                accs = [r["accuracy"] for r in rows]
                lines.append(
                    f"| {standardize} | {form} | " + " | ".join(f"{a:.3f}" for a in accs)
                    + f" | {np.mean(accs):.3f} | {np.mean([r['fit_s'] for r in rows]):.0f} |"
                )
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["all", "large", "small"], default="all")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--auto-n", type=int, default=100_000)
    parser.add_argument("--small-n", type=int, default=1200)
    parser.add_argument("--small-epochs", type=int, default=30)
    parser.add_argument("--standardize", default="1",
                        help="standardize values of the small part: '1', '0' or '1,0'")
    parser.add_argument("--json", action="store_true", help="print the part's results as JSON")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results",
                                                      "sparse.md"))
    args = parser.parse_args()
    args.standardize = [bool(int(v)) for v in args.standardize.split(",")]
    if args.json:
        result = part_large(args) if args.part == "large" else part_small(args)
        print(json.dumps(result))
        return
    found = {}
    for part in ("large", "small"):
        if args.part not in ("all", part):
            continue
        command = [sys.executable, __file__, "--part", part, "--json", "--n", str(args.n),
                   "--auto-n", str(args.auto_n), "--small-n", str(args.small_n),
                   "--small-epochs", str(args.small_epochs),
                   "--standardize", ",".join(str(int(v)) for v in args.standardize)]
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        found[part] = json.loads(out.strip().splitlines()[-1])
    text = table(found.get("large"), found.get("small"), args)
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
