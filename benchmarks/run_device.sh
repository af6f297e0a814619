#!/usr/bin/env bash
# The GPU benchmarks in one go on a GPU machine (run on an H100/H200;
# the scripts run on CPU too, just slower). Writes tables and PNGs to $OUT.
# Usage: OUT=results bash benchmarks/run_device.sh [workers]
set -uo pipefail
OUT=${OUT:-benchmarks/results}
W=${1:-14}
mkdir -p "$OUT"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1 BENCH_THREADS=1 OMP_NUM_THREADS=1
cd benchmarks
DEV=${DEV:-cuda}
nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | tee "$OUT/device.txt"
timeout ${T1:-150} python bench_defaults.py --device $DEV --workers $W --json "$OUT/defaults.json" 2>&1 | tee "$OUT/defaults.txt"
PARAMS=$(python -c "import json,sys; b=json.load(open(sys.argv[1]))['best']; print(json.dumps(b))" "$OUT/defaults.json" 2>/dev/null || echo '{}')
echo "params for the rest: $PARAMS"
timeout ${T2:-230} python bench_beta_sweep.py --device $DEV --workers $W --params "$PARAMS" --json "$OUT/sweep.json" --png "$OUT/sweep.png" 2>&1 | tee "$OUT/sweep.txt"
timeout ${T3:-80} python bench_dynamic_r.py --device $DEV --workers $W --params "$PARAMS" --json "$OUT/dynamic_r.json" --png "$OUT/dynamic_r.png" 2>&1 | tee "$OUT/dynamic_r.txt"
timeout ${T4:-70} python bench_warmup.py --device $DEV --workers $W --params "$PARAMS" 2>&1 | tee "$OUT/warmup.txt"
