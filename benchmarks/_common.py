"""Shared helpers of the benchmark scripts: data sets, splits, parallel runs."""

import argparse
import ast
import json
import os
import time
import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from omib_sklearn.datasets import load_multiple_features, make_multimodal_classification

# LogisticRegressionCV announces default changes of scikit-learn 1.10/1.11.
warnings.filterwarnings("ignore", category=FutureWarning)

SIM_CASES = ("SIM-I", "SIM-II", "SIM-III")


def sim_split(case, seed, n_samples=None):
    """The paper's protocol: 10,000 samples, 9:1 train/test split
    (BENCH_N in the environment shrinks it for smoke runs)."""
    n_samples = n_samples or int(os.environ.get("BENCH_N", "10000"))
    X, y, oracle = make_multimodal_classification(
        n_samples=n_samples, specific_relevant=case, return_oracle=True, random_state=seed
    )
    tr, te = train_test_split(np.arange(len(y)), test_size=0.1, random_state=seed, stratify=y)
    return [x[tr] for x in X], y[tr], [x[te] for x in X], y[te], oracle[tr], oracle[te]


def mfeat_folds(seed=0, n_splits=5):
    X, y = load_multiple_features(views=("fou", "pix"), return_X_y=True)
    for tr, te in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(X[0], y):
        yield [x[tr] for x in X], y[tr], [x[te] for x in X], y[te]


def sampled_accuracy(clf, X, y, seed=0):
    """Accuracy with zeta sampled from the bottleneck (reveals a collapse that
    predictions with zeta = mu hide)."""
    import torch

    from omib_sklearn._input_checks import check_modalities

    arrays = check_modalities(clf, X, reset=False)
    module = clf.module_.eval()
    device = next(module.parameters()).device
    with torch.no_grad(), torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
        torch.manual_seed(seed)
        logits = module([torch.as_tensor(a, device=device) for a in arrays], sample=True).y_hat
    # (networks, rows, classes): the networks' mean probability, as predict_proba.
    proba = logits.softmax(-1).reshape(-1, *logits.shape[-2:]).mean(0)
    pred = clf.classes_[proba.argmax(1).cpu().numpy()]
    return float(np.mean(pred == y))


def parse_range(text):
    """'0,3' -> [0, 3], '0-14' -> [0, ..., 14], '' -> []."""
    out = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def run_parallel(fn, jobs, workers):
    """Run ``fn(job)`` for each job, in ``workers`` processes (1: in-process);
    results in the order of ``jobs``."""
    if workers <= 1:
        return [fn(j) for j in jobs]
    with _pool(workers) as pool:
        return pool.map(fn, jobs, chunksize=1)


def iter_parallel(fn, jobs, workers):
    """Like :func:`run_parallel`, but yields each result as soon as it is
    ready (in completion order), so that long runs print as they go."""
    if workers <= 1:
        yield from map(fn, jobs)
        return
    with _pool(workers) as pool:
        yield from pool.imap_unordered(fn, jobs)


def _pool(workers):
    import multiprocessing as mp

    return mp.get_context("spawn").Pool(workers, initializer=_init_worker)


def parser(params=True):
    """The options the sweep scripts share: --device, --workers, --json and
    (with ``params``) --params, a JSON dict of OMIBClassifier parameters."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", help="write the raw rows to this file")
    if params:
        ap.add_argument("--params", type=json.loads, default={},
                        help="JSON of OMIBClassifier parameters")
    return ap


def _init_worker():
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    warnings.filterwarnings("ignore", category=FutureWarning)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def parse_overrides(argv):
    """``--name value`` pairs from the command line as estimator parameters
    (values parsed as Python literals where they are)."""
    params = {}
    for key, value in zip(argv[::2], argv[1::2]):
        try:
            params[key.lstrip("-")] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key.lstrip("-")] = value
    return params
