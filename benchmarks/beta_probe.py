"""Which fits of the suite does a change of the beta selection alter?

For every OMIB fit recorded in a results file of ``suite.py`` (default
``benchmarks/results/suite_defaults.jsonl``), this runs the estimator's
validation and beta selection on the same split with the same seed, stops
before training, and prints the beta recorded and the beta computed now,
with the repairs of the information estimates (one JSON line per fit). A
fit whose beta is the same trains exactly as recorded.

Run:  python benchmarks/beta_probe.py [--results FILE] [--rows a,b]
      > benchmarks/results/beta_probe.jsonl
"""

import argparse
import json
import os
import sys
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

from omib_sklearn._base import BaseOMIB  # noqa: E402


class _BetaChosen(Exception):
    pass


def _stop(self, *args, **kwargs):
    raise _BetaChosen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results", "suite_defaults.jsonl"))
    ap.add_argument("--rows", help="comma-separated row names (default: every row)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = set(args.rows.split(",")) if args.rows else None
    # Stage 3 (the row plan) comes right after the beta selection.
    BaseOMIB._plan_rows = _stop
    with open(args.results) as f:
        records = [json.loads(line) for line in f if line.strip()]
    for rec in records:
        if rec["column"] != "OMIB" or "beta" not in rec or (rows and rec["row"] not in rows):
            continue
        row = next(r for r in suite.ROWS if r.name == rec["row"])
        Xtr, ytr, _, _, seed = suite.split(row, rec["split"])
        model = suite.make_model(row.task, "OMIB", rec.get("omib_params", {}), seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.fit(Xtr) if row.task == "detection" else model.fit(Xtr, ytr)
            except _BetaChosen:
                pass
        repairs = [str(w.message) for w in caught if "MINE estimates repaired" in str(w.message)]
        print(json.dumps({"row": rec["row"], "split": rec["split"], "recorded": rec["beta"],
                          "now": model.beta_, "same": model.beta_ == rec["beta"],
                          "repairs": repairs}), flush=True)


if __name__ == "__main__":
    main()
