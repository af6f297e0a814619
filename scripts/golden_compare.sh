#!/usr/bin/env bash
# Compare the golden fits (tests/test_golden.py) of two revisions EXACTLY,
# on this machine: a refactor must not change what the estimators compute.
#
#   scripts/golden_compare.sh REV_A [REV_B]
#
# Each revision is checked out into a temporary `git worktree` (REV_B left
# out: the working tree as it is, uncommitted changes included) and its
# golden fits run there with PYTHONPATH pointing at that tree, one thread,
# and the same Python ($PYTHON, default .venv/bin/python, else python3).
# Prints the largest absolute difference per array; exits 1 on any
# difference (or a different set of arrays), 0 when all are identical.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [[ -z ${PYTHON:-} ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=$ROOT/.venv/bin/python; else PYTHON=python3; fi
fi
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

TMP=$(mktemp -d)
WORKTREES=()
TREE=
cleanup() {
    for wt in "${WORKTREES[@]}"; do git worktree remove --force "$wt" >/dev/null 2>&1 || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# use_tree REV: sets TREE to a directory holding REV (the working tree when
# REV is empty); not run in a subshell, so that cleanup sees the worktree.
use_tree() {
    if [[ -z $1 ]]; then TREE=$ROOT; return; fi
    TREE="$TMP/tree-${#WORKTREES[@]}-$(git rev-parse --short "$1^{commit}")"
    git worktree add --quiet --detach "$TREE" "$1^{commit}"
    WORKTREES+=("$TREE")
}

# run_fits TREE OUT: the golden fits of the code in TREE, written to OUT.
# Imports golden_fits from the tree's own tests/test_golden.py, so that
# revisions older than its --out option run too.
run_fits() {
    (cd "$1" && PYTHONPATH="$1" "$PYTHON" - "$1" "$2" <<'PY'
import os
import sys
import warnings

import numpy as np
import torch

tree, out = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
warnings.simplefilter("ignore")  # the short fits' ConvergenceWarnings
sys.path.insert(0, os.path.join(tree, "tests"))
import omib_sklearn  # noqa: E402
import test_golden  # noqa: E402

where = os.path.realpath(omib_sklearn.__file__)
if not where.startswith(os.path.realpath(tree) + os.sep):
    sys.exit(f"omib_sklearn imported from {where}, not from {tree}")
np.savez(out, **test_golden.golden_fits())
PY
    )
}

A=$1
B=${2:-}
echo "fitting ${A} ..." >&2
use_tree "$A"
run_fits "$TREE" "$TMP/a.npz"
echo "fitting ${B:-the working tree} ..." >&2
use_tree "$B"
run_fits "$TREE" "$TMP/b.npz"

"$PYTHON" - "$TMP/a.npz" "$TMP/b.npz" "$A" "${B:-working tree}" <<'PY'
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print(f"golden fits: {sys.argv[3]} against {sys.argv[4]} (one thread)")
print(f"{'array':<28} {'shape':<12} {'max abs diff':>14}")
same = True
for name in sorted(set(a.files) | set(b.files)):
    if name not in a.files or name not in b.files:
        print(f"{name:<28} {'':<12} {'only in ' + (sys.argv[3] if name in a.files else sys.argv[4]):>14}")
        same = False
        continue
    x, y = a[name], b[name]
    if x.shape != y.shape:
        print(f"{name:<28} {str(x.shape) + ' vs ' + str(y.shape):<12} {'shape differs':>14}")
        same = False
        continue
    nan_x, nan_y = np.isnan(x), np.isnan(y)
    nan_differs = not np.array_equal(nan_x, nan_y)
    d = np.where(nan_x & nan_y, 0.0, np.abs(x.astype(np.float64) - y.astype(np.float64)))
    diff = float(np.max(d)) if d.size else 0.0
    same &= diff == 0.0 and not nan_differs
    print(f"{name:<28} {str(x.shape):<12} {diff:>14.3g}" + ("  (NaNs differ)" if nan_differs else ""))
print("identical" if same else "DIFFERENT")
sys.exit(0 if same else 1)
PY
