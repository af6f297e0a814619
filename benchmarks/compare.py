"""Compare OMIB between two runs of ``suite.py`` on the splits both ran.

Prints one Markdown table: per row, the splits in common, OMIB's mean score
(and its spread over the splits) and fit seconds in each run, the mean
paired difference with its standard error, the strongest other column on
the same splits (from either run), and OMIB's rank among all columns.

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
    print("| data | splits | OMIB before | OMIB after (+- std) | after - before (+- SE) "
          "| best baseline | after - best | rank after | seconds before | seconds after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ranks, lower = {}, []
    for spec in ROWS:
        row = spec.name
        if row not in ran:
            continue
        new = after[(row, "OMIB")]
        old = before.get((row, "OMIB"), {})
        splits = sorted(set(new) & set(old)) if old else sorted(new)
        if not splits:
            continue
        columns = {c for (r, c) in after if r == row} | {c for (r, c) in before if r == row}
        means = {}
        for c in columns - {"OMIB"}:
            table = {**before.get((row, c), {}), **after.get((row, c), {})}
            m = mean(table, 0, splits)
            if np.isfinite(m):
                means[c] = m
        new_scores = np.array([new[s][0] for s in splits])
        after_mean = new_scores.mean()
        best = max(means, key=means.get) if means else None
        rank = 1 + sum(v > after_mean + 1e-12 for v in means.values())
        fmt = "{:.4f}".format
        if old:
            diff = new_scores - np.array([old[s][0] for s in splits])
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
            change = f"{100 * diff.mean():+.2f} +- {100 * se:.2f}"
            if diff.mean() < 0 and (np.isnan(se) or -diff.mean() > se):
                lower.append(f"{row} ({change} points)")
            before_text, seconds_before = fmt(mean(old, 0, splits)), f"{mean(old, 1, splits):.1f}"
        else:
            change, before_text, seconds_before = "-", "-", "-"
        best_text = f"{best} {fmt(means[best])}" if best else "-"
        gap = f"{100 * (after_mean - means[best]):+.2f}" if best else "-"
        print(f"| {row} | {len(splits)} | {before_text} | {fmt(after_mean)} +- "
              f"{fmt(new_scores.std())} | {change} | {best_text} | {gap} | {rank} "
              f"| {seconds_before} | {mean(new, 1, splits):.1f} |")
        ranks[row] = rank
    print()
    print(f"OMIB after ranks first on {sum(r == 1 for r in ranks.values())} of {len(ranks)} rows.")
    print("Lower than before by more than one standard error of the paired differences: "
          + ("; ".join(lower) if lower else "none") + ".")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
