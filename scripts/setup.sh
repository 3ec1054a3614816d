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
  log="$VENV/install.log"                                      # quiet when it works, the whole log when it does not
  if ! { "$VENV/bin/python" -m pip install -q --upgrade pip && "$VENV/bin/python" -m pip install -q -e ".[dev,docs]"; } > "$log" 2>&1 \
     || ! "$VENV/bin/python" -c "import probmcl, torch, timm, nbdev, mkdocs, material, mkdocs_jupyter, yaml, markdown, playwright" >> "$log" 2>&1; then
    echo "[setup] install failed; the full log ($log):"; cat "$log"; exit 1
  fi
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
# The documentation site (scripts/docs.sh and the test suite set PROBMCL_SETUP_DOCS=1): MathJax 3 from the npm
# registry, bundled into the site so that its pages load nothing from outside.
if [ "${PROBMCL_SETUP_DOCS:-0}" = 1 ]; then
  MJ="$VENV/share/mathjax-3.2.2"
  if [ ! -f "$MJ/es5/tex-chtml.js" ]; then
    if command -v npm >/dev/null; then
      echo "[setup] fetching mathjax@3.2.2 from the npm registry (once)"
      tmp="$(mktemp -d)"
      if (cd "$tmp" && npm pack -q mathjax@3.2.2 >/dev/null 2>&1) \
         && echo "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09  $tmp/mathjax-3.2.2.tgz" | sha256sum -c --quiet \
         && tar xzf "$tmp/mathjax-3.2.2.tgz" -C "$tmp"; then
        mkdir -p "$MJ" && cp -r "$tmp/package/es5" "$MJ/"
      else echo "[setup] could not fetch mathjax@3.2.2 (npm pack failed or its checksum differs)"; fi
      rm -rf "$tmp"
    else echo "[setup] npm not found: install Node.js/npm once so that the docs can bundle MathJax"; fi
  fi
fi
# Debian's chromium for the browser checks (the docs' check, and scripts/jupyterlab_check.sh, which sets
# PROBMCL_SETUP_CHROMIUM=1), installed when we are root on Debian, as above.
if [ "${PROBMCL_SETUP_DOCS:-0}" = 1 ] || [ "${PROBMCL_SETUP_CHROMIUM:-0}" = 1 ]; then
  if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[setup] installing Debian's chromium (the browser checks)"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) \
      || echo "[setup] could not install chromium; the browser checks will say so"
  fi
fi
export PATH="$VENV/bin:$PATH"
