#!/usr/bin/env bash
# Set up (if needed) and build the documentation site into docs/_build/html,
# with warnings as errors. The gallery runs the examples named plot_*.py
# (each must take well under a minute) and shows the others without running
# them (docs/conf.py). Extra arguments go to sphinx-build (e.g. -q).
set -euo pipefail
cd "$(dirname "$0")/.."
OMIB_EXTRAS=docs bash scripts/setup.sh
. "${OMIB_VENV:-.venv}/bin/activate"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
python -m sphinx -b html -W --keep-going "$@" docs docs/_build/html
