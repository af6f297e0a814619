#!/usr/bin/env bash
# Set up (if needed) and run the main demo: OMIB on the paper's SIM-I data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
python examples/quickstart.py "$@"
