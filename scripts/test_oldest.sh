#!/usr/bin/env bash
# The tests that exercise scikit-learn's API (the estimator checks with the
# fast settings, whose ids carry batch_size=32; every input route, the
# sklearn tools, weights, validation schemes, pinned predictions) against the
# oldest scikit-learn that pyproject.toml declares, in a second environment,
# .venv-oldest. The estimator checks with default parameters run on the
# newest scikit-learn only (scripts/test.sh): they take most of its time.
set -euo pipefail
cd "$(dirname "$0")/.."
OLDEST=$(sed -nE 's/.*"scikit-learn>=([0-9.]+).*/\1/p' pyproject.toml)
OMIB_VENV=.venv-oldest OMIB_PIN="scikit-learn==$OLDEST" bash scripts/setup.sh
. .venv-oldest/bin/activate
python -c "import sklearn; print(f'scikit-learn {sklearn.__version__}')"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
python -m pytest -p no:cacheprovider "$@" \
  -k "not test_sklearn_compatible_estimator or batch_size" tests/test_common.py \
  tests/test_modalities.py tests/test_sklearn_tooling.py tests/test_compose.py \
  tests/test_weights.py tests/test_validation.py tests/test_golden.py
