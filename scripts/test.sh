#!/usr/bin/env bash
# The whole test suite: set up (first run only), run every notebook with nbdev_test, each in a fresh
# process as in JupyterLab (two at a time; NBDEV_WORKERS changes that). Cells flagged `slow` or `gpu`
# are skipped; pass --flags "slow" to run them. Then the documentation site, three notebooks run in a real
# JupyterLab (scripts/jupyterlab_check.sh --fast), bench/gpu_check.sh --dry-run, and checks that nbdev_export and nbdev_clean would
# change nothing. Ends with "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/setup.sh"
set +e
export MPLBACKEND=Agg PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
passed=0; failed=0
mapfile -t nbs < <(ls nbs/*.ipynb | grep -v '/_' | sort)
logdir="$(mktemp -d)"
start=$(date +%s)
# The longest notebooks start first (measured on 2 cores: tutorial.which_loss ~900 s, 18_cli, 28f_compare, 17_trainer
# ~220 s each), so that no long one starts last and runs alone: about 1,400 s for all of them instead of 1,785.
slow=(nbs/tutorial.which_loss.ipynb nbs/18_cli.ipynb nbs/28f_compare.ipynb nbs/17_trainer.ipynb nbs/tutorial.analyses.ipynb)
order=("${slow[@]}"); for nb in "${nbs[@]}"; do [[ " ${slow[*]} " == *" $nb "* ]] || order+=("$nb"); done
printf '%s\n' "${order[@]}" | xargs -P "${NBDEV_WORKERS:-2}" -I{} bash -c \
  't0=$(date +%s); nbdev_test --path "$1" "${@:3}" > "$2/$(basename "$1").log" 2>&1; rc=$?; echo "$rc $1 $(( $(date +%s) - t0 ))s" | tee -a "$2/results"' \
  _ {} "$logdir" "$@"
echo "[test] notebooks finished in $(( $(date +%s) - start ))s"
for nb in "${nbs[@]}"; do
  rc="$(awk -v nb="$nb" '$2 == nb {print $1}' "$logdir/results")"
  if [ "$rc" = "0" ]; then passed=$((passed+1)); else
    echo "FAILED $nb (exit ${rc:-none}):"; tail -40 "$logdir/$(basename "$nb").log" | sed 's/^/    /'; failed=$((failed+1)); fi
done
# The documentation site: nbdev's documentation processor (the step nbdev_docs runs before Quarto) must process
# every notebook, then MkDocs builds _site/ with no network and scripts/docs.py checks it, in headless Chromium too.
t0=$(date +%s)
if bash scripts/docs.sh --check > "$logdir/docs.log" 2>&1; then passed=$((passed+1)); grep -E '^\[(docs|check)\]' "$logdir/docs.log"; else
  echo "FAILED docs (bash scripts/docs.sh --check):"
  { grep -iE "failed|error|\[check\]|\[setup\]" "$logdir/docs.log" || tail -20 "$logdir/docs.log"; } | head -25 | sed 's/^/    /'; failed=$((failed+1)); fi
echo "[test] docs finished in $(( $(date +%s) - t0 ))s"
# JupyterLab: three quick notebooks opened and run in a real JupyterLab, in headless Chromium (no dialog, no error,
# figures and docments tables rendered); bash scripts/jupyterlab_check.sh without --fast runs every module notebook.
t0=$(date +%s)
if bash scripts/jupyterlab_check.sh --fast > "$logdir/jupyterlab.log" 2>&1; then passed=$((passed+1)); grep '^\[jupyterlab\]' "$logdir/jupyterlab.log"; else
  echo "FAILED jupyterlab (bash scripts/jupyterlab_check.sh --fast):"
  tail -30 "$logdir/jupyterlab.log" | sed 's/^/    /'; failed=$((failed+1)); fi
echo "[test] jupyterlab finished in $(( $(date +%s) - t0 ))s"
# The committed tables against the sentences that quote them (scripts/check_data.py: one check per claim).
if python scripts/check_data.py > "$logdir/check_data.log" 2>&1; then passed=$((passed+1)); tail -1 "$logdir/check_data.log"; else
  echo "FAILED data checks (python scripts/check_data.py):"; sed 's/^/    /' "$logdir/check_data.log" | tail -20; failed=$((failed+1)); fi
# The GPU check's code paths on the CPU at tiny sizes, so that the script is ready for the first GPU (bench/gpu_check.sh).
t0=$(date +%s)
if bash bench/gpu_check.sh --dry-run > "$logdir/gpu_check.log" 2>&1; then passed=$((passed+1)); else
  echo "FAILED gpu check dry run (bash bench/gpu_check.sh --dry-run):"
  tail -20 "$logdir/gpu_check.log" | sed 's/^/    /'; failed=$((failed+1)); fi
echo "[test] gpu check dry run finished in $(( $(date +%s) - t0 ))s"
# Sync checks: a clean clone must be exported, clean, and its README generated already.
# A snapshot is the hash of every tracked or untracked (not ignored) file's content.
snapshot() { git ls-files -co --exclude-standard -z | xargs -0 sha256sum 2>/dev/null; }
# scripts/readme.py too: README.md and the landing page's results must be what the committed CSVs give.
for step in nbdev_export nbdev_clean "python scripts/readme.py"; do
  before="$(snapshot)"
  $step >/dev/null 2>&1
  after="$(snapshot)"
  if [ "$before" == "$after" ]; then passed=$((passed+1)); else
    echo "FAILED $step changed files (run nbdev_export && nbdev_clean && python scripts/readme.py, then commit):"
    diff <(echo "$before") <(echo "$after") | grep '^>' | awk '{print "  " $3}' | head -20
    failed=$((failed+1)); fi
done
rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
