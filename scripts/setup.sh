#!/usr/bin/env bash
# Sourced by scripts/train.sh and scripts/test.sh: makes .venv (once, and again when
# settings.ini or setup.py change) with the pinned nbdev 2 stack and probmcl in editable mode.
# Python 3.10+ with venv is all it needs. No run-time downloads happen after this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.probmcl-stamp"
want="$(cat settings.ini setup.py | sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing probmcl and its pinned dependencies into $VENV (first run: a few minutes)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip install -q -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c "import probmcl, torch, timm, nbdev" || { echo "[setup] install failed: see the pip output above"; exit 1; }
  echo "$want" > "$STAMP"
fi
# Fashion-MNIST (the MultiFashion benchmark) comes from Debian's dataset-fashion-mnist.
# Installed here when we are root on Debian; otherwise the notebooks that need it skip with a message.
FMNIST=/usr/share/datasets/fashion-mnist
if [ ! -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[setup] installing Debian's dataset-fashion-mnist"
  (apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; }) \
    || echo "[setup] could not install dataset-fashion-mnist; MultiFashion cells will skip"
fi
export PATH="$VENV/bin:$PATH"
