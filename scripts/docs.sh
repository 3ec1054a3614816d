#!/usr/bin/env bash
# The documentation site, built from the notebooks with no network: open _site/index.html.
#   bash scripts/docs.sh            build _site/ (nbdev's notebook processor, then MkDocs; see scripts/docs.py)
#   bash scripts/docs.sh --check    build, then check it: a page per notebook, public names, links, no outside
#                                   asset, and headless Chromium finding the math typeset and the API tables (CI)
#   bash scripts/docs.sh --serve    build, then MkDocs' live preview on http://127.0.0.1:8000
set -euo pipefail
case "${1:-}" in ""|--check|--serve) ;; *) echo "usage: bash scripts/docs.sh [--check|--serve]" >&2; exit 2 ;; esac
export PROBMCL_SETUP_DOCS=1
source "$(dirname "$0")/setup.sh"
export NO_MKDOCS_2_WARNING=1 MPLBACKEND=Agg PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
# Build inside a network namespace with no network when the machine allows one (loopback only): the build cannot
# reach anything outside this machine.
offline=()
if unshare -rn true 2>/dev/null; then offline=(unshare -rn); elif unshare -n true 2>/dev/null; then offline=(unshare -n); fi
[ ${#offline[@]} -gt 0 ] && command -v ip >/dev/null && offline+=(sh -c 'ip link set lo up; exec "$@"' _)
t0=$(date +%s)
"${offline[@]}" python scripts/docs.py build
echo "[docs] built in $(( $(date +%s) - t0 ))s$([ ${#offline[@]} -gt 0 ] && echo ", in a network namespace with no network (${offline[0]} ${offline[1]})")"
case "${1:-}" in
  "") ;;
  --check) python scripts/docs.py check ;;
  --serve) python scripts/docs.py serve ;;
  *) echo "usage: bash scripts/docs.sh [--check|--serve]" >&2; exit 2 ;;
esac
