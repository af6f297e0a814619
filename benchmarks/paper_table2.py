"""The paper's Table 2: classification accuracy of the SIM data's feature
sub-vectors against OMIB's embedding (Wu et al., ICML 2025, Sec. 6.2).

SIM-I, SIM-II and SIM-III: 10,000 rows, a stratified 9:1 split, one data draw
per seed (the draws of the benchmark suite's SIM rows). Columns:

- logistic regression (standardized, LogisticRegressionCV) on the consistent
  relevant block [a0], the modality-specific relevant blocks [a1; a2], each
  modality x1 and x2, the authentic optimal MIB [a0; a1; a2] and the union of
  both modalities [x1; x2];
- a concatenation MLP of OMIB's size without the bottleneck (two layers of
  512, the 64-wide bottleneck width and a 256-wide head layer);
- OMIB: the accuracy of its own head, and of logistic regression on its
  embedding (``transform``).

The paper reports SIM-I and SIM-III (its "balanced" column); both are
printed beside the measurements.

Run: python benchmarks/paper_table2.py [--cases SIM-I,SIM-III] [--seeds 3]
     [--params '{"n_estimators": 1}'] [--workers 2] [--json out.json]
     (--replot out.json prints the table of an earlier run)
"""

import json

import numpy as np
from _common import Timer, iter_parallel, parser

# Table 2 of the paper (SIM-I, SIM-III); unimodal is x1 / x2.
PAPER = {
    "[a0]": (0.707, 0.686),
    "[a1; a2]": (0.737, 0.744),
    "x1": (0.748, 0.792),
    "x2": (0.820, 0.780),
    "[a0; a1; a2] (optimal MIB)": (0.909, 0.908),
    "[x1; x2] (union)": (0.858, 0.866),
    "OMIB": (0.892, 0.890),
}
FEATURES = ["[a0]", "[a1; a2]", "x1", "x2", "[a0; a1; a2] (optimal MIB)", "[x1; x2] (union)"]
COLUMNS = FEATURES + ["concat MLP", "OMIB", "LR on OMIB embedding"]


def draw(case, seed, n_samples):
    from sklearn.model_selection import train_test_split

    from omib_sklearn.datasets import make_multimodal_classification

    X, y, oracle = make_multimodal_classification(
        n_samples=n_samples, specific_relevant=case, return_oracle=True, random_state=seed)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.1, random_state=seed, stratify=y)
    blocks = {
        "[a0]": oracle[:, :200], "[a1; a2]": oracle[:, 200:], "x1": X[0], "x2": X[1],
        "[a0; a1; a2] (optimal MIB)": oracle, "[x1; x2] (union)": np.hstack(X),
    }
    return X, y, blocks, tr, te


def logistic():
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=10, max_iter=5000))


def fit_one(job):
    import warnings

    import torch
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from omib_sklearn import OMIBClassifier

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    case, seed, column, params, n_samples = job
    X, y, blocks, tr, te = draw(case, seed, n_samples)
    out = {"case": case, "seed": seed}
    with Timer() as t:
        if column in FEATURES:
            F = blocks[column]
            out[column] = logistic().fit(F[tr], y[tr]).score(F[te], y[te])
        elif column == "concat MLP":
            F = blocks["[x1; x2] (union)"]
            mlp = make_pipeline(StandardScaler(), MLPClassifier(
                hidden_layer_sizes=(512, 512, 64, 256), early_stopping=True, max_iter=500,
                random_state=seed))
            out[column] = mlp.fit(F[tr], y[tr]).score(F[te], y[te])
        else:
            clf = OMIBClassifier(random_state=seed, **params)
            clf.fit([x[tr] for x in X], y[tr])
            out["OMIB"] = clf.score([x[te] for x in X], y[te])
            Z_tr, Z_te = clf.transform([x[tr] for x in X]), clf.transform([x[te] for x in X])
            out["LR on OMIB embedding"] = logistic().fit(Z_tr, y[tr]).score(Z_te, y[te])
            out["beta"] = float(clf.beta_)
            out["fit_times"] = {k: float(v) for k, v in clf.fit_times_.items()}
            out["n_epochs"] = clf.n_epochs_
            out["bounds"] = [float(b) for b in clf.beta_bounds_] if clf.beta_bounds_ is not None else None
    out["seconds"] = t.seconds
    out["column"] = column
    return out


def table(rows, cases):
    lines = ["| features / model | " + " | ".join(
        f"{c} (ours)" + (f" | {c} (paper)" if c in ("SIM-I", "SIM-III") else "") for c in cases) + " |"]
    lines.append("|" + "---|" * (1 + len(cases) + sum(c in ("SIM-I", "SIM-III") for c in cases)))
    for column in COLUMNS:
        cells = []
        for case in cases:
            vals = [r[column] for r in rows if r["case"] == case and column in r]
            cells.append(f"{np.mean(vals):.3f} ± {np.std(vals):.3f} (n={len(vals)})" if vals else "–")
            if case in ("SIM-I", "SIM-III"):
                paper = PAPER.get(column)
                cells.append("–" if paper is None else f"{paper[0 if case == 'SIM-I' else 1]:.3f}")
        lines.append(f"| {column} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = parser()
    ap.add_argument("--cases", default="SIM-I,SIM-II,SIM-III")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n", type=int, default=10000, help="rows per data draw")
    ap.add_argument("--columns", default=",".join(["OMIB", "concat MLP"] + FEATURES),
                    help="comma-separated subset of the columns to fit")
    ap.add_argument("--replot", help="print the table of one or more earlier --json runs "
                    "(comma-separated files)")
    args = ap.parse_args()
    cases = args.cases.split(",")
    if args.replot:
        rows = []
        for path in args.replot.split(","):
            with open(path) as f:
                rows += json.load(f)["rows"]
        print(table(rows, cases))
        return
    jobs = [(case, seed, column, args.params, args.n)
            for column in args.columns.split(",")
            for case in cases for seed in range(args.seeds)]
    print(f"{len(jobs)} fits, {args.workers} worker(s), one torch thread each; "
          f"OMIB parameters: {json.dumps(args.params) or 'defaults'}", flush=True)
    rows = []
    for r in iter_parallel(fit_one, jobs, args.workers):
        rows.append(r)
        value = r.get(r["column"])
        extra = f"  LR on embedding {r['LR on OMIB embedding']:.4f}" if r["column"] == "OMIB" else ""
        print(f"  {r['case']:8s} seed {r['seed']}  {r['column']:28s} {value:.4f}{extra}  "
              f"{r['seconds']:.0f} s", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"params": args.params, "n": args.n, "rows": rows}, f, indent=1)
    # One row per (case, seed): merge the columns.
    merged = {}
    for r in rows:
        merged.setdefault((r["case"], r["seed"]), {"case": r["case"], "seed": r["seed"]}).update(
            {k: v for k, v in r.items() if k in COLUMNS})
    print()
    print(table(list(merged.values()), cases))


if __name__ == "__main__":
    main()
