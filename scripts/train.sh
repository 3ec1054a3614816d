#!/usr/bin/env bash
# The main job: set up (first run only), then train and evaluate ProbMCL on the embedded
# MultiDigits data and print the metrics table. Extra flags go to probmcl_train (see --help).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
exec probmcl_train "$@"
