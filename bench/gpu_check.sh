#!/usr/bin/env bash
# The GPU check (see bench/gpu_check.py): one table for the first GPU this package meets.
#   bash bench/gpu_check.sh              on a CUDA machine whose python already has torch (a GPU image): installs
#                                        probmcl without touching that torch, then runs the checks (< 8 minutes on an H200)
#   bash bench/gpu_check.sh --dry-run    the same code paths on the CPU at tiny sizes, in the project's .venv (CI)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${1:-}" = "--dry-run" ]; then
  source scripts/setup.sh
else
  # A GPU image brings its own CUDA torch: install probmcl beside it without dependencies, then say what is missing.
  python3 -m pip install -q --no-deps -e . >/dev/null 2>&1 || echo "[gpu_check] pip install --no-deps -e . failed; using the tree as is"
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  missing="$(python3 -c "
import importlib.util as u
print(' '.join(m for m in ('torch','timm','accelerate','safetensors','fastcore','fastprogress','pycocotools','sklearn','scipy','pandas','onnx','onnxruntime','ray') if u.find_spec(m) is None))")"
  [ -n "$missing" ] && echo "[gpu_check] missing Python packages: $missing (carry them as wheels; see bench/gpu_check.py)"
  PATH="$(python3 -c 'import sys, os; print(os.path.dirname(sys.executable))'):$PATH"
fi
export MPLBACKEND=Agg PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
exec python3 bench/gpu_check.py "$@"
