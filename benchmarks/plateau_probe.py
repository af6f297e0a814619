"""Which fits of the suite does the plateau learning rate change?

``PlateauLearningRate`` acts only on a network whose validation loss is still
within 2% of a constant prediction's after ``MIN_STOPPING_STEPS`` optimizer
steps of the main phase. A fit in which no network is on that plateau at that
point trains exactly as without the rule. For each row (classification and
regression; the detector has no plateau rule) and its first splits, this
fits OMIB with its defaults up to that point of the main phase and prints
whether each network is on the plateau there (one JSON line per split).

Run:  python benchmarks/plateau_probe.py [--rows a,b] [--splits 5] [--first 0]
      > benchmarks/results/plateau_probe.jsonl
"""

import argparse
import json
import os
import sys
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

from omib_sklearn._base import MIN_STOPPING_STEPS  # noqa: E402


class _Reached(Exception):
    pass


class Probe(Callback):
    """Ends the fit at the first main-phase epoch the rule could act on."""

    def on_epoch_end(self, net, **kwargs):
        if net.phase.value == "main" and net.phase_epochs_ * net.steps_per_epoch_ >= MIN_STOPPING_STEPS:
            raise _Reached({"epoch": net.phase_epochs_, "steps_per_epoch": net.steps_per_epoch_,
                            "on_plateau": net.history[-1].get("network_on_plateau")})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", help="comma-separated row names (default: every row)")
    ap.add_argument("--splits", type=int, default=5, help="at most this many splits per row")
    ap.add_argument("--first", type=int, default=0, help="the first split to probe")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    names = args.rows.split(",") if args.rows else [r.name for r in suite.ROWS]
    for name in names:
        row = next(r for r in suite.ROWS if r.name == name)
        if row.task == "detection":
            continue
        for i in range(args.first, min(args.splits, row.n_splits)):
            Xtr, ytr, _, _, seed = suite.split(row, i)
            model = suite.make_model(row.task, "OMIB", {"callbacks": [Probe()]}, seed)
            try:
                model.fit(Xtr, ytr)
                out = {"reached": False}
            except _Reached as reached:
                out = {"reached": True, **reached.args[0]}
            print(json.dumps({"row": name, "split": i, **out}), flush=True)


if __name__ == "__main__":
    main()
