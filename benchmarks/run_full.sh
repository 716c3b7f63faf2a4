#!/usr/bin/env bash
# The full benchmark run: a sequence of invocations sharing one results file,
# most important first. Each invocation reuses the runs already recorded, so
# the sequence can be cut anywhere and resumed. Sized for ~3 hours on a shared
# 2-core machine: scikit-optimize (1.5-7 min of optimiser overhead per
# 50-evaluation search there) gets 1 seed on real tasks and 2 on synthetic
# problems, last; Optuna's GPSampler 5 seeds; the other methods 10 seeds
# (synthetic) and 5 (real tasks). docs/benchmarks.md lists the invocations of
# the committed run as they happened.
# Run from the repository root:
#   PYTHON=/path/to/python nohup bash benchmarks/run_full.sh > full.log 2>&1 &
set -euo pipefail
PY=${PYTHON:-python}
OUT=${OUT:-benchmarks/results}
CAPS=(--cap skopt=1 --real-cap skopt=0 --cap optuna_gp=5)
FAST=random,optuna_tpe,optuna_gp,c2f,gp
# The main comparison's problems (the skorch task runs in the budget study).
PROBLEMS=branin,hartmann6,levy10,adam,momentum,mlp,svc_digits,hgb_cancer,mlp_digits,enet_diabetes
# 1. every method on every problem, seeds 0-1 (skopt: synthetic seed 0)
$PY -m benchmarks --stages main --problems "$PROBLEMS" --seeds 2 --real-seeds 2 "${CAPS[@]}" --out "$OUT"
# 2. parallel speed-up (svc_digits) and batch size (GPBayesSearchCV n_points 1 vs 8)
$PY -m benchmarks --stages parallel,batch --methods "$FAST" --out "$OUT"
# 3. overhead growth on hartmann6 at 50, 100, 200 evaluations
$PY -m benchmarks --stages overhead --methods "$FAST" --out "$OUT"
# 4. the remaining synthetic seeds, real tasks up to 3 seeds
$PY -m benchmarks --stages main --problems "$PROBLEMS" --seeds 10 --real-seeds 3 "${CAPS[@]}" --out "$OUT"
# 5. our methods again if sk_hpsearch changed during the run (one version for all)
$PY -m benchmarks --stages main,overhead,parallel,batch --methods c2f,gp \
    --problems "$PROBLEMS" \
    --seeds 10 --real-seeds 3 --redo-stale --out "$OUT"
# 6. skopt on the real tasks (1 seed), then real tasks up to 5 seeds
$PY -m benchmarks --stages main --problems "$PROBLEMS" --methods skopt --seeds 1 --real-seeds 1 --out "$OUT"
$PY -m benchmarks --stages main --problems "$PROBLEMS" --methods "$FAST" --seeds 10 --real-seeds 5 \
    --cap optuna_gp=5 --out "$OUT"
# 7. skopt: overhead at 100 evaluations, parallel, a 2nd synthetic seed
$PY -m benchmarks --stages overhead --methods skopt --overhead-sizes 50,100 --out "$OUT"
$PY -m benchmarks --stages parallel --methods skopt --out "$OUT"
$PY -m benchmarks --stages main --problems "$PROBLEMS" --methods skopt --seeds 2 --real-seeds 1 --out "$OUT"
# 8. learning-curve budgets: the skorch MLP (27 epochs) and the boosting task
#    (20 trees), n_iter=27, 5 seeds: full training versus budgeted
$PY -m benchmarks --stages budget --budget-seeds 5 --out "$OUT"
