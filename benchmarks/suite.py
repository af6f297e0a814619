"""The benchmark suite: OMIB with default parameters against the simple
baselines, on many data sets, in one table.

Rows are data sets (classification, regression, one-class detection);
columns are models:

- ``OMIB``: OMIBClassifier / OMIBRegressor / OMIBAnomalyDetector with their
  default parameters (``--omib-params`` overrides some of them, for
  exploration) and ``random_state`` = the repeat;
- ``LR/Ridge``: LogisticRegressionCV / RidgeCV on the standardized
  concatenation of the modalities;
- ``MLP``: MLPClassifier / MLPRegressor (early stopping, target
  standardized for regression) on the standardized concatenation;
- ``late``: late fusion, the mean of per-modality LogisticRegressionCV
  probabilities (RidgeCV predictions for regression);
- ``HGB``: HistGradientBoostingClassifier / Regressor on the concatenation;
- for detection: ``OCSVM`` (OneClassSVM, RBF, nu=0.1) and ``IForest``
  (IsolationForest, 200 trees) on the standardized concatenation.

Scores: accuracy, R^2, ROC AUC; mean +- std over the splits of a row (SIM:
three draws of the data, 9:1 split; mfeat, digits, wine, breast cancer,
interaction, xor, gate, agreement, diabetes, product: repeated (stratified)
5-fold CV; small: five draws
of 8 rows per class of 5 digits, tested on the other rows of those digits;
one-class: the ten digits as the normal class in turn). Fit seconds are the
mean wall time of one fit in a worker process with one torch thread.

Writes ``<out>.md`` and ``<out>.json`` (default ``benchmarks/results/suite``),
and each result as it comes to ``<out>.jsonl``; ``--resume`` skips the fits
already in that file. ``--reuse FILE.json`` takes the baseline columns from
an earlier run (same splits), so that runs exploring OMIB parameters only fit
OMIB.

Run:  python benchmarks/suite.py [--quick] [--workers 2] [--rows a,b]
      [--omib-params '{"max_epochs": 50}'] [--out benchmarks/results/suite]
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass

# One thread per worker process for every library (torch, BLAS, OpenMP):
# several multi-threaded processes on few cores slow each other down many
# times over (LogisticRegressionCV took minutes instead of seconds).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=UserWarning)

MFEAT_SETS = {
    "mfeat fou+pix": ("fou", "pix"),
    "mfeat fac+kar": ("fac", "kar"),
    "mfeat pix+mor": ("pix", "mor"),
    "mfeat fou+kar": ("fou", "kar"),
    "mfeat kar+mor": ("kar", "mor"),
    "mfeat all six": ("fou", "fac", "kar", "pix", "zer", "mor"),
}


@dataclass
class Row:
    name: str
    task: str  # "classification", "regression" or "detection"
    n_splits: int
    n_splits_quick: int  # 0: not in --quick
    description: str


ROWS = [
    Row("SIM-I", "classification", 3, 1, "paper's SIM-I, 10,000 rows, 1100 + 700 features"),
    Row("SIM-II", "classification", 3, 0, "paper's SIM-II, 10,000 rows, 700 + 1100 features"),
    Row("SIM-III", "classification", 3, 0, "paper's SIM-III, 10,000 rows, 900 + 900 features"),
    *[Row(name, "classification", 10, 5 if name in ("mfeat fou+kar", "mfeat pix+mor") else 0,
          f"UCI mfeat, 2,000 rows, views {' + '.join(views)}")
      for name, views in MFEAT_SETS.items()],
    Row("digits halves", "classification", 10, 0,
        "sklearn digits, 1,797 rows, top and bottom 8x4 halves"),
    Row("breast cancer x3", "classification", 15, 5,
        "sklearn breast cancer, 569 rows, mean / se / worst (10 + 10 + 10)"),
    Row("wine x2", "classification", 15, 5, "sklearn wine, 178 rows, 6 + 7 features"),
    Row("small 40x5", "classification", 5, 5,
        "mfeat fou+kar, 8 training rows of each of 5 digits"),
    Row("interaction", "classification", 5, 0,
        "make_multimodal_classification(interaction=True), 4,000 rows, 30 + 30"),
    Row("xor", "classification", 5, 0,
        "make_cross_modal('xor'), 3,000 rows, 2 x (5 relevant + 20 superfluous)"),
    Row("gate", "classification", 5, 0,
        "make_cross_modal('gate'), 3,000 rows, 3 x (5 + 20); the third gates the label"),
    Row("agreement", "classification", 5, 0,
        "make_cross_modal('agreement'), 3,000 rows, 2 x (5 + 20); same class in both views"),
    Row("diabetes", "regression", 15, 5, "sklearn diabetes, 442 rows, clinical 4 + serum 6"),
    Row("product", "regression", 5, 0,
        "make_cross_modal('product'), 3,000 rows, 2 x (5 + 20); y = s1 s2 + s1 + noise"),
    Row("one-class fou+pix", "detection", 10, 0, "mfeat one-class, 150 normal training rows"),
    Row("one-class kar+fac", "detection", 10, 3, "mfeat one-class, 150 normal training rows"),
]

COLUMNS = {
    "classification": ["OMIB", "LR", "MLP", "late", "HGB"],
    "regression": ["OMIB", "Ridge", "MLP", "late", "HGB"],
    "detection": ["OMIB", "OCSVM", "IForest"],
}


# -- data and splits ------------------------------------------------------------
def load(row_name):
    """(list of modality arrays, y) for a row."""
    from omib_sklearn.datasets import load_multiple_features, make_multimodal_classification

    if row_name.startswith("SIM"):
        raise ValueError("SIM rows draw fresh data per split")
    if row_name in MFEAT_SETS:
        return load_multiple_features(views=MFEAT_SETS[row_name], return_X_y=True)
    if row_name == "digits halves":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return [X[:, :32], X[:, 32:]], y
    if row_name == "breast cancer x3":
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
        return [X[:, :10], X[:, 10:20], X[:, 20:]], y
    if row_name == "wine x2":
        from sklearn.datasets import load_wine

        X, y = load_wine(return_X_y=True)
        return [X[:, :6], X[:, 6:]], y
    if row_name == "small 40x5":
        return load_multiple_features(views=("fou", "kar"), return_X_y=True)
    if row_name == "interaction":
        return make_multimodal_classification(
            n_samples=4000, shared_relevant=5, shared_superfluous=5,
            specific_relevant=(10, 10), specific_superfluous=(10, 10),
            interaction=True, random_state=0,
        )
    if row_name in ("xor", "gate", "agreement", "product"):
        from omib_sklearn.datasets import make_cross_modal

        return make_cross_modal(row_name, n_samples=3000, random_state=0)
    if row_name == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        return [X[:, :4], X[:, 4:]], y
    if row_name == "one-class fou+pix":
        return load_multiple_features(views=("fou", "pix"), return_X_y=True)
    if row_name == "one-class kar+fac":
        return load_multiple_features(views=("kar", "fac"), return_X_y=True)
    raise KeyError(row_name)


def split(row, i):
    """(X_train, y_train, X_test, y_test, seed) of split ``i`` of a row."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    if row.name.startswith("SIM"):
        from omib_sklearn.datasets import make_multimodal_classification

        X, y = make_multimodal_classification(
            n_samples=10000, specific_relevant=row.name, random_state=i)
        tr, te = train_test_split(np.arange(len(y)), test_size=0.1, random_state=i, stratify=y)
        return [x[tr] for x in X], y[tr], [x[te] for x in X], y[te], i
    X, y = load(row.name)
    if row.name == "small 40x5":
        rng = np.random.default_rng(i)
        digits = np.sort(rng.choice(10, 5, replace=False))
        tr = np.concatenate([rng.choice(np.flatnonzero(y == d), 8, replace=False) for d in digits])
        te = np.setdiff1d(np.flatnonzero(np.isin(y, digits)), tr)
        return [x[tr] for x in X], y[tr], [x[te] for x in X], y[te], i
    if row.task == "detection":
        digit = i
        rng = np.random.default_rng(digit)
        normal = rng.permutation(np.flatnonzero(y == digit))
        others = rng.choice(np.flatnonzero(y != digit), 50, replace=False)
        tr = normal[:150]
        te = np.concatenate([normal[150:200], others])
        y_te = np.r_[np.zeros(50, int), np.ones(50, int)]  # 1 = anomaly
        return [x[tr] for x in X], None, [x[te] for x in X], y_te, digit
    repeat, fold = divmod(i, 5)
    splitter = (KFold if row.task == "regression" else StratifiedKFold)(
        5, shuffle=True, random_state=repeat)
    tr, te = list(splitter.split(X[0], y))[fold]
    return [x[tr] for x in X], y[tr], [x[te] for x in X], y[te], repeat


# -- models -----------------------------------------------------------------------
def make_model(task, column, params, seed):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        IsolationForest,
    )
    from sklearn.linear_model import LogisticRegressionCV, RidgeCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import OneClassSVM

    from omib_sklearn import OMIBAnomalyDetector, OMIBClassifier, OMIBRegressor

    def lr():
        return make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=10, max_iter=5000))

    def ridge():
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15)))

    if column == "OMIB":
        cls = {"classification": OMIBClassifier, "regression": OMIBRegressor,
               "detection": OMIBAnomalyDetector}[task]
        return cls(random_state=seed, **params)
    if column == "LR":
        return lr()
    if column == "Ridge":
        return ridge()
    if column == "MLP":
        if task == "classification":
            return make_pipeline(StandardScaler(), MLPClassifier(
                early_stopping=True, max_iter=500, random_state=seed))
        return TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(
                early_stopping=True, max_iter=1000, random_state=seed)),
            transformer=StandardScaler())
    if column == "late":
        return LateFusion(lr if task == "classification" else ridge, task)
    if column == "HGB":
        cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
        return cls(random_state=seed)
    if column == "OCSVM":
        return make_pipeline(StandardScaler(), OneClassSVM(gamma="scale", nu=0.1))
    if column == "IForest":
        return make_pipeline(StandardScaler(), IsolationForest(n_estimators=200, random_state=seed))
    raise KeyError(column)


class LateFusion:
    """Mean of per-modality models' probabilities (or predictions)."""

    def __init__(self, factory, task):
        self.factory, self.task = factory, task

    def fit(self, X, y):
        self.models_ = [self.factory().fit(x, y) for x in X]
        return self

    def score(self, X, y):
        from sklearn.metrics import r2_score

        if self.task == "classification":
            proba = np.mean([m.predict_proba(x) for m, x in zip(self.models_, X)], axis=0)
            return float(np.mean(self.models_[0].classes_[proba.argmax(1)] == y))
        pred = np.mean([m.predict(x) for m, x in zip(self.models_, X)], axis=0)
        return float(r2_score(y, pred))


def run_job(job):
    """Fit one model on one split; return its score and fit seconds."""
    import torch
    from sklearn.metrics import roc_auc_score

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    row_name, i, column, params = job
    row = next(r for r in ROWS if r.name == row_name)
    Xtr, ytr, Xte, yte, seed = split(row, i)
    model = make_model(row.task, column, params, seed)
    multimodal = column in ("OMIB", "late")
    start = time.perf_counter()
    error = None
    try:
        if row.task == "detection":
            model.fit(Xtr if multimodal else np.hstack(Xtr))
            seconds = time.perf_counter() - start
            normality = model.score_samples(Xte if multimodal else np.hstack(Xte))
            score = float(roc_auc_score(yte, -normality))
        else:
            model.fit(Xtr if multimodal else np.hstack(Xtr), ytr)
            seconds = time.perf_counter() - start
            score = float(model.score(Xte if multimodal else np.hstack(Xte), yte))
    except Exception as exc:  # a crash is a result of the suite, not its end
        seconds = time.perf_counter() - start
        score, error = float("nan"), f"{type(exc).__name__}: {exc}"[:300]
    out = {"row": row_name, "split": i, "column": column, "score": score, "seconds": seconds}
    if error:
        out["error"] = error
    if column == "OMIB" and error is None:
        for attr in ("beta_", "best_epochs_", "n_epochs_", "selected_"):
            value = getattr(model, attr, None)
            if value is not None:
                out[attr.rstrip("_")] = value if not isinstance(value, float) else float(value)
    return out


# -- the table ----------------------------------------------------------------------
def summarize(results, rows):
    lines = []
    for row in rows:
        cols = COLUMNS[row.task]
        stats = {}
        for c in cols:
            rs = [r for r in results if r["row"] == row.name and r["column"] == c]
            scores = np.array([r["score"] for r in rs], dtype=float)
            stats[c] = {
                "mean": float(np.mean(scores)) if len(scores) else float("nan"),
                "std": float(np.std(scores)) if len(scores) else float("nan"),
                "seconds": float(np.mean([r["seconds"] for r in rs])) if rs else float("nan"),
                "n": len(rs),
                "errors": sum("error" in r for r in rs),
            }
        means = {c: s["mean"] for c, s in stats.items()}
        valid = [c for c in cols if np.isfinite(means[c])]
        omib = means["OMIB"]
        rank = (1 + sum(means[c] > omib for c in valid if c != "OMIB")) if np.isfinite(omib) else None
        lines.append({"row": row.name, "task": row.task, "stats": stats, "rank": rank})
    return lines


def markdown(summary, header):
    out = [header, ""]
    for task, metric in (("classification", "accuracy"), ("regression", "R^2"),
                         ("detection", "ROC AUC")):
        lines = [s for s in summary if s["task"] == task]
        if not lines:
            continue
        cols = COLUMNS[task]
        out.append(f"**{task}** ({metric}, mean +- std over splits; fit seconds in brackets)")
        out.append("")
        out.append("| data | " + " | ".join(cols) + " | OMIB - " + cols[1] + " | OMIB rank |")
        out.append("|---|" + "---|" * (len(cols) + 2))
        for s in lines:
            cells = []
            for c in cols:
                st = s["stats"][c]
                if not st["n"]:
                    cells.append("-")
                    continue
                err = f" ({st['errors']} errors)" if st["errors"] else ""
                cells.append(f"{st['mean']:.4f} +- {st['std']:.4f} [{st['seconds']:.1f}]{err}")
            diff = s["stats"]["OMIB"]["mean"] - s["stats"][cols[1]]["mean"]
            out.append(f"| {s['row']} | " + " | ".join(cells) + f" | {100 * diff:+.2f} | "
                       f"{s['rank'] if s['rank'] is not None else '-'} |")
        out.append("")
    ranks = [s["rank"] for s in summary if s["rank"] is not None]
    if ranks:
        out.append(f"OMIB's rank per row: median {np.median(ranks):g}, "
                   f"first in {sum(r == 1 for r in ranks)} of {len(ranks)} rows.")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description="The omib_sklearn benchmark suite.")
    ap.add_argument("--quick", action="store_true", help="a subset (under 10 minutes on 2 cores)")
    ap.add_argument("--rows", help="comma-separated row names (default: all, or the quick subset)")
    ap.add_argument("--columns", help="comma-separated columns to fit (default: all)")
    ap.add_argument("--splits", type=int, help="at most this many splits per row")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1 torch thread each)")
    ap.add_argument("--omib-params", type=json.loads, default={},
                    help="JSON of OMIB parameters that replace the defaults (exploration)")
    ap.add_argument("--reuse", help="take the non-OMIB columns from this earlier JSON")
    ap.add_argument("--resume", action="store_true",
                    help="keep the results already in <out>.jsonl and fit only the others")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "suite"))
    args = ap.parse_args(argv)

    rows = ROWS
    if args.rows:
        wanted = args.rows.split(",")
        unknown = set(wanted) - {r.name for r in ROWS}
        if unknown:
            ap.error(f"unknown rows {sorted(unknown)}; rows: {[r.name for r in ROWS]}")
        rows = [r for r in ROWS if r.name in wanted]
    elif args.quick:
        rows = [r for r in ROWS if r.n_splits_quick]
    reused = []
    if args.reuse:
        with open(args.reuse) as f:
            reused = [r for r in json.load(f)["results"] if r["column"] != "OMIB"]
    done = []
    if args.resume and os.path.exists(args.out + ".jsonl"):
        with open(args.out + ".jsonl") as f:
            done = [json.loads(line) for line in f if line.strip()]
    elif os.path.exists(args.out + ".jsonl"):
        os.remove(args.out + ".jsonl")
    reused += done
    jobs = []
    for row in rows:
        n = row.n_splits_quick if args.quick else row.n_splits
        if args.splits:
            n = min(n, args.splits)
        for column in COLUMNS[row.task]:
            if args.columns and column not in args.columns.split(","):
                continue
            for i in range(n):
                if any(
                    r["row"] == row.name and r["split"] == i and r["column"] == column
                    for r in (reused if column != "OMIB" else done)
                ):
                    continue
                jobs.append((row.name, i, column, args.omib_params if column == "OMIB" else {}))
    # Slowest first, so that the pool does not end on one long job.
    jobs.sort(key=lambda j: (not j[0].startswith("SIM"), j[2] != "OMIB"))
    n_splits = {(row.name): (row.n_splits_quick if args.quick else row.n_splits) for row in rows}
    results = [r for r in reused if r["row"] in n_splits and r["split"] < min(
        n_splits[r["row"]], args.splits or 10**9)]
    start = time.perf_counter()
    print(f"{len(jobs)} fits in {args.workers} workers", flush=True)
    if args.workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(args.workers) as pool:
            for k, r in enumerate(pool.imap_unordered(run_job, jobs, chunksize=1)):
                results.append(r)
                _progress(k, len(jobs), r, args.out)
    else:
        for k, job in enumerate(jobs):
            r = run_job(job)
            results.append(r)
            _progress(k, len(jobs), r, args.out)
    wall = time.perf_counter() - start

    summary = summarize(results, rows)
    import sklearn
    import torch

    header = (
        "# omib_sklearn benchmark suite\n\n"
        f"OMIB parameters: {json.dumps(args.omib_params) if args.omib_params else 'defaults'}"
        f"{' (quick subset)' if args.quick else ''}. "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.workers} worker processes with 1 torch thread each; torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}; {wall / 60:.1f} min of fitting."
    )
    text = markdown(summary, header)
    print()
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".md", "w") as f:
        f.write(text + "\n")
    with open(args.out + ".json", "w") as f:
        json.dump({"omib_params": args.omib_params, "quick": args.quick, "results": results,
                   "summary": summary}, f, indent=1, default=_jsonable)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _progress(k, total, r, out):
    with open(out + ".jsonl", "a") as f:
        f.write(json.dumps(r, default=_jsonable) + "\n")
    err = f"  ERROR {r['error']}" if "error" in r else ""
    print(f"[{k + 1}/{total}] {r['row']:<18} split {r['split']:<2} {r['column']:<7} "
          f"{r['score']:.4f} {r['seconds']:6.1f} s{err}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
