"""The batch benchmark: its clocks and one short loop per kind of method."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.batches import METHODS, _best_after, run_one


def test_the_three_clocks_count_what_they_say():
    # 3 batches of 8 then one of 2: evaluations, rounds, waves (8 workers, 5 folds)
    record = {"regret": list(range(26, 0, -1)), "batch_sizes": [8, 8, 8, 2]}
    assert _best_after(record, "evaluations", 10) == 17
    assert _best_after(record, "rounds", 1) == 19  # 8 evaluations
    assert _best_after(record, "rounds", 4) == 1
    # a batch of 8 is 40 fits: 5 waves; a batch of 2 is 10 fits: 2 waves
    assert _best_after(record, "waves", 4) == math.inf  # nothing finished yet
    assert _best_after(record, "waves", 10) == 11  # 16 evaluations
    assert _best_after(record, "waves", 17) == 1


@pytest.mark.parametrize("method", ["gp_q8", "gp_auto", "optuna_tpe_8"])
def test_a_short_loop_asks_whole_batches(method):
    pytest.importorskip("optuna")
    record = run_one("branin", method, seed=0, n_iter=21)
    assert len(record["regret"]) == 21
    assert min(record["regret"]) >= 0
    q = {"gp_q8": 8, "gp_auto": 2, "optuna_tpe_8": 8}[method]
    sizes = record["batch_sizes"]
    assert sum(sizes) == 21
    # whole batches, once the GP's initial design (5 points on branin) is asked
    before = np.cumsum([0, *sizes[:-1]])
    design = 5 if method.startswith("gp") else 0
    assert [s for s, b in zip(sizes, before, strict=True) if b >= design][:-1] == [
        q
    ] * (sum(b >= design for b in before) - 1)
    assert method in METHODS


def test_a_loop_runs_its_optimiser_on_one_thread(monkeypatch):
    # CPU seconds are summed over threads: an optimiser with BLAS or torch
    # threads would cost more CPU per candidate than the same one on one
    # thread, whatever the environment's thread settings say.
    from threadpoolctl import threadpool_info

    torch = pytest.importorskip("torch")
    seen = []

    def make(space, n_iter, seed):
        def ask(n):
            seen.append(
                (
                    max((p["num_threads"] for p in threadpool_info()), default=1),
                    torch.get_num_threads(),
                )
            )
            return [{"x1": 0.0, "x2": 5.0}] * n

        return ask, lambda params, losses: None

    monkeypatch.setitem(METHODS, "probe", (2, make))
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        run_one("branin", "probe", seed=0, n_iter=4)
    finally:
        torch.set_num_threads(threads)
    assert seen == [(1, 1), (1, 1)]
