#!/usr/bin/env bash
# Open the notebooks in a real JupyterLab and run them there, in headless Chromium (Debian's chromium) driven by
# Playwright; the code is scripts/jupyterlab_check.py.
#   bash scripts/jupyterlab_check.sh                       every module notebook (nbs/[0-9]*.ipynb), one after another
#   bash scripts/jupyterlab_check.sh --fast                01_canvases, 11_dist, 29_showdoc (about 80 s; scripts/test.sh)
#   bash scripts/jupyterlab_check.sh 07_metrics nbs/05_mdn.ipynb     these notebooks
#   options: --shots DIR (a screenshot per notebook; default a new temporary folder), --cell-timeout S (default 900)
# Per notebook: no dialog ever appeared (e.g. "Select Kernel"), every code cell ran except those nbdev_test skips
# (`#| slow`, `#| gpu`, `#| eval: false`, nbdev_export()), no error output, each figure rendered as an image, and
# the figures, progress bars and tables the notebook is known to show are there. One line per notebook; exit 1 on
# any failure. JupyterLab runs on 127.0.0.1 (a free port, a random token) and is stopped at the end, even on failure.
set -euo pipefail
caller="$PWD"                                   # notebook paths are relative to where we were called from
export PROBMCL_SETUP_CHROMIUM=1
source "$(dirname "$0")/setup.sh"
unset MPLBACKEND                                # figures inline in the kernel (scripts/test.sh exports Agg for nbdev_test)
state="$(mktemp -d)"                            # jupyterlab_check.py writes the server's pid here
check=""
stop_lab() {                                    # normally jupyterlab_check.py has stopped it already
  local pid kids
  if [ -n "$check" ] && kill -0 "$check" 2>/dev/null; then    # interrupted: the check stops JupyterLab on TERM
    kill -TERM "$check" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$check" 2>/dev/null || break; sleep 1; done
  fi
  pid="$(cat "$state/server.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kids="$(ps -o pid= --ppid "$pid" || true)"  # its kernels, which run in sessions of their own
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    [ -z "$kids" ] || kill -KILL $kids 2>/dev/null || true
  fi
  rm -rf "$state"
}
trap stop_lab EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# No network but the loopback when the machine allows a network namespace (as scripts/docs.sh builds): the check
# cannot reach anything outside 127.0.0.1. The browser also refuses (and reports) any request that leaves it.
offline=()
if unshare -rn true 2>/dev/null; then offline=(unshare -rn); elif unshare -n true 2>/dev/null; then offline=(unshare -n); fi
[ ${#offline[@]} -gt 0 ] && command -v ip >/dev/null && offline+=(sh -c 'ip link set lo up; exec "$@"' _)
[ ${#offline[@]} -eq 0 ] || echo "[jupyterlab] in a network namespace with no network (${offline[0]} ${offline[1]})"
"${offline[@]}" python scripts/jupyterlab_check.py --state "$state" --cwd "$caller" "$@" &
check=$!
wait "$check"                                   # in the background, so that INT and TERM reach the traps at once
