"""Two variants of the task heads, on splits of the benchmark suite.

- ``hh64``: ``head_hidden=64``, a hidden layer of 64 units instead of 256
  in every head (fewer operations per step);
- ``trb0``: linear task-relevance heads ``Dec_i`` and the default hidden
  layer in the fusion head ``Dec_hat`` (no parameter selects this; the
  script builds the heads itself).

Each fit is OMIB with its other defaults on one split of a row of
``suite.py`` (same splits and seeds), one JSON line on stdout, comparable
with ``benchmarks/results/suite_defaults.jsonl``.

Run:  python benchmarks/bench_head_variants.py VARIANT ROW SPLIT [SPLIT ...]
      >> benchmarks/results/suite_head_variants.jsonl
"""

import json
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402

import omib_sklearn.nn._modules as modules  # noqa: E402
from omib_sklearn import OMIBClassifier  # noqa: E402


def _linear_relevance_heads():
    """Make ``OMIBModule`` build its ``Dec_i`` heads without a hidden layer
    (they read ``[z_i, xi]``, wider than ``Dec_hat``'s ``xi``)."""
    build = modules._head
    xi_width = OMIBClassifier().latent_dim

    def head(kind, n_members, in_dim, out_dim, hidden):
        wider_than_xi = in_dim != xi_width
        return build(kind, n_members, in_dim, out_dim, () if wider_than_xi else hidden)

    modules._head = head


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3 or argv[0] not in ("hh64", "trb0"):
        sys.exit(__doc__)
    variant, row, splits = argv[0], argv[1], [int(s) for s in argv[2:]]
    params = {"head_hidden": 64} if variant == "hh64" else {}
    if variant == "trb0":
        _linear_relevance_heads()
    for split in splits:
        result = suite.run_job((row, split, "OMIB", params))
        result["variant"] = variant
        print(json.dumps(result, default=suite._jsonable), flush=True)


if __name__ == "__main__":
    main()
