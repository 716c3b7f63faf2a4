#!/usr/bin/env bash
# The real-task suite (docs/benchmarks.md, "Real-task suite"): a sequence of
# invocations sharing one results file, most important first; each reuses the
# runs already recorded, so the sequence can be cut anywhere and resumed.
# PYTHON must have the `bench` extra, and for the HEBO, SMAC3 and Ax rows the
# `peers` extra (methods whose package is missing are skipped).
# Run from the repository root:
#   PYTHON=/path/to/python nohup nice -n 10 bash benchmarks/run_real_suite.sh > suite.log 2>&1 &
set -euo pipefail
PY=${PYTHON:-python}
OUT=${OUT:-benchmarks/results/real_suite}
SEEDS=${SEEDS:-5}
# scikit-optimize spends 1-3 s per candidate choosing it, Ax about as much:
# fewer seeds for them.
CAPS=(--real-cap skopt=2 --real-cap smac=3 --real-cap ax=2)
# 1. budgets 16 and 32: every method but HEBO
$PY -m benchmarks --stages suite --suite-budgets 16,32 --suite-seeds "$SEEDS" \
    --methods random,optuna_tpe,optuna_gp,skopt,c2f,gp,smac,ax "${CAPS[@]}" --out "$OUT"
# 2. HEBO (5-12 s per candidate): one seed, budget 16
$PY -m benchmarks --stages suite --suite-budgets 16 --suite-seeds 1 --methods hebo --out "$OUT"
# 3. budget 64
$PY -m benchmarks --stages suite --suite-budgets 16,32,64 --suite-seeds "$SEEDS" \
    --methods random,optuna_tpe,optuna_gp,c2f,gp "${CAPS[@]}" --out "$OUT"
