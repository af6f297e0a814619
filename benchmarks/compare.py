"""Compare OMIB between two runs of ``suite.py`` on the splits both ran.

Prints one Markdown table: per row, the splits in common, OMIB's mean score
and fit seconds in each run, the linear baseline (LogisticRegressionCV,
RidgeCV or OneClassSVM, from the second run) on the same splits, and OMIB's
rank among all columns of the second run.

Run:  python benchmarks/compare.py BEFORE.json AFTER.json [AFTER2.json ...]
(several AFTER files are merged, e.g. a quick run and a run of more rows;
a ``.jsonl`` file of a run in progress is read too, with the baselines of
the other files).
"""

import json
import sys
from collections import defaultdict

import numpy as np
from suite import ROWS

BASELINE = {"classification": "LR", "regression": "Ridge", "detection": "OCSVM"}


def mean(table, i, splits):
    """Mean of field i (0: score, 1: seconds) over the splits, NaN unless all ran."""
    vals = [table[s][i] for s in splits if s in table]
    return np.mean(vals) if len(vals) == len(splits) else np.nan


def load(paths):
    scores = defaultdict(dict)  # (row, column) -> {split: (score, seconds)}
    for path in paths:
        with open(path) as f:
            if path.endswith(".jsonl"):  # results as they came, of a run in progress
                results = [json.loads(line) for line in f if line.strip()]
            else:
                results = json.load(f)["results"]
        for r in results:
            if "score" in r and r["score"] is not None and np.isfinite(r["score"]):
                scores[(r["row"], r["column"])][r["split"]] = (r["score"], r["seconds"])
    return scores


def main(before_path, *after_paths):
    before = load([before_path])
    after = load(after_paths)
    ran = {row for row, column in after if column == "OMIB"}
    print("| data | splits | OMIB before | OMIB after | baseline | after - baseline "
          "| rank after | seconds before | seconds after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in ROWS:
        row = spec.name
        if row not in ran:
            continue
        new = after[(row, "OMIB")]
        old = before.get((row, "OMIB"), {})
        base_name = BASELINE[spec.task]
        base = {**before.get((row, base_name), {}), **after.get((row, base_name), {})}
        splits = sorted(set(new) & set(base))
        if not splits:
            continue

        columns = {c for (r, c) in after if r == row} | {c for (r, c) in before if r == row}
        means = {}
        for c in columns:
            table = {**before.get((row, c), {}), **after.get((row, c), {})}
            m = mean(table, 0, splits)
            if np.isfinite(m):
                means[c] = m
        rank = 1 + sum(v > means["OMIB"] + 1e-12 for c, v in means.items() if c != "OMIB")
        fmt = "{:.4f}".format
        print(f"| {row} | {len(splits)} | {fmt(mean(old, 0, splits)) if old else 'error'} "
              f"| {fmt(mean(new, 0, splits))} | {base_name} {fmt(mean(base, 0, splits))} "
              f"| {100 * (mean(new, 0, splits) - mean(base, 0, splits)):+.2f} | {rank} "
              f"| {mean(old, 1, splits):.1f} | {mean(new, 1, splits):.1f} |")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
