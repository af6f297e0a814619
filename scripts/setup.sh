#!/usr/bin/env bash
# Create .venv and install omib_sklearn with its test extras (idempotent).
# OMIB_VENV names another environment; OMIB_EXTRAS names other extras of
# pyproject.toml (default "test"; scripts/docs.sh passes "docs"); OMIB_PIN
# adds requirements (e.g. an older scikit-learn, as scripts/test_oldest.sh does).
# torch: where the CPU wheel torch==2.13.0 lies on local disk (pip's
# find-links on these machines), install it first so the "torch>=2.1"
# requirement is met without downloading a multi-GB CUDA build. Elsewhere pip
# resolves torch from the requirement as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# pip's per-package notices about this machine's local mirrors are noise.
quiet_pip() { python -m pip "$@" 2> >(grep -v "WARNING: Location" >&2); }
VENV=${OMIB_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
. "$VENV/bin/activate"
if ! python -c "import torch" >/dev/null 2>&1; then
  if ls /opt/wheels/torch-*cpu*.whl >/dev/null 2>&1; then
    quiet_pip install -q --find-links /opt/wheels "torch==$(ls /opt/wheels/torch-*cpu*.whl | head -1 | sed -E 's/.*torch-([0-9.]+)\+cpu.*/\1/')"
  else
    quiet_pip install -q torch --index-url https://download.pytorch.org/whl/cpu || quiet_pip install -q torch
  fi
fi
quiet_pip install -q -e ".[${OMIB_EXTRAS:-test}]" ${OMIB_PIN:-}
