#!/usr/bin/env bash
# The real-task suite (docs/benchmarks.md, "Real-task suite"): a sequence of
# invocations sharing one results file, most important first; each reuses the
# runs already recorded, so the sequence can be cut anywhere and resumed.
# PYTHON needs the `bench` extra; the SMAC3 and Ax rows need the `peers`
# extra and the HEBO rows `pip install --no-deps hebo==0.3.6 disjoint-set`
# (methods whose package is missing are skipped).
# Run from the repository root:
#   PYTHON=/path/to/python nohup nice -n 10 bash benchmarks/run_real_suite.sh > suite.log 2>&1 &
set -euo pipefail
PY=${PYTHON:-python}
OUT=${OUT:-benchmarks/results/real_suite}
SEEDS=${SEEDS:-5}
# scikit-optimize and SMAC3 spend 0.5-3 s per candidate choosing it: one seed.
CAPS=(--real-cap skopt=1 --real-cap smac=1)
# 1. budgets 16 and 32, seed 0 for every method but Ax and HEBO
$PY -m benchmarks --stages suite --suite-budgets 16,32 --suite-seeds 1 \
    --methods random,optuna_tpe,optuna_gp,skopt,c2f,gp,smac "${CAPS[@]}" --out "$OUT"
# 2. Ax and HEBO (1-12 s per candidate): seeds 0 and 1, budget 16
$PY -m benchmarks --stages suite --suite-budgets 16 --suite-seeds 2 --methods ax,hebo --out "$OUT"
# 3. the other seeds
$PY -m benchmarks --stages suite --suite-budgets 16,32 --suite-seeds "$SEEDS" \
    --methods random,optuna_tpe,optuna_gp,skopt,c2f,gp,smac "${CAPS[@]}" --out "$OUT"
# 4. budget 64 (an anytime method runs once, at 64: its scores at 16 and 32
#    are the prefixes of that run)
$PY -m benchmarks --stages suite --suite-budgets 16,32,64 --suite-seeds "$SEEDS" \
    --methods random,optuna_tpe,c2f,gp --out "$OUT"
# 5. Optuna GP spends up to 5 s per candidate at 64 evaluations on the
#    problems with integers: all seeds at 32, then all seeds at 64
$PY -m benchmarks --stages suite --suite-budgets 32 --suite-seeds "$SEEDS" \
    --methods optuna_gp --out "$OUT"
$PY -m benchmarks --stages suite --suite-budgets 64 --suite-seeds "$SEEDS" \
    --methods optuna_gp --out "$OUT"
# 6. the slow peers' further seeds: Ax and HEBO at 16 (seeds up to 5), skopt
#    and SMAC3 at 16 and 32 (seeds 0-2)
$PY -m benchmarks --stages suite --suite-budgets 16 --suite-seeds "$SEEDS" \
    --methods ax,hebo --out "$OUT"
$PY -m benchmarks --stages suite --suite-budgets 16,32 --suite-seeds 3 \
    --methods skopt,smac --out "$OUT"
