#!/usr/bin/env bash
# The whole test suite: set up (first run only), run every notebook with nbdev_test
# (cells flagged `slow` or `gpu` are skipped; pass --flags "slow" to run them), then check
# that nbdev_export and nbdev_clean would change nothing. Ends with "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/setup.sh"
set +e
export MPLBACKEND=Agg PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
passed=0; failed=0
mapfile -t nbs < <(ls nbs/*.ipynb | grep -v '/_' | sort)
log="$(mktemp)"
start=$(date +%s)
nbdev_test --n_workers "${NBDEV_WORKERS:-2}" --timing "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "[test] nbdev_test finished in $(( $(date +%s) - start ))s"
for nb in "${nbs[@]}"; do
  if grep -q "$(basename "$nb")" <(sed -n '/Tests Failed On The Following Notebooks/,$p' "$log"); then
    echo "FAILED $nb"; failed=$((failed+1))
  else passed=$((passed+1)); fi
done
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then echo "FAILED nbdev_test exited $rc"; failed=$((failed+1)); fi
# nbdev sync checks: a clean clone must be exported and clean already.
# A snapshot is the hash of every tracked or untracked (not ignored) file's content.
snapshot() { git ls-files -co --exclude-standard -z | xargs -0 sha256sum 2>/dev/null; }
for step in nbdev_export nbdev_clean; do
  before="$(snapshot)"
  $step >/dev/null 2>&1
  after="$(snapshot)"
  if [ "$before" == "$after" ]; then passed=$((passed+1)); else
    echo "FAILED $step changed files (run nbdev_export && nbdev_clean, then commit):"
    diff <(echo "$before") <(echo "$after") | grep '^>' | awk '{print "  " $3}' | head -20
    failed=$((failed+1)); fi
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
