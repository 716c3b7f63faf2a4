"""Checkpoints of the ask/tell optimisers: journal asks and tells, replay them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sk_hpsearch import (
    BayesianOptimizer,
    CheckpointMismatchError,
    CoarseToFineOptimizer,
    LogUniform,
    load_checkpoint,
)

SPACE = {"x": LogUniform(1e-3, 1e3), "kind": ["a", "b"]}


def objective(x, kind):
    return -((np.log10(x) - 1) ** 2) - (kind == "a")


def make(cls, path=None, **kwargs):
    options = {"n_iter": 10, "random_state": 0, "checkpoint": path}
    if cls is BayesianOptimizer:
        options["n_initial_points"] = 4
    else:
        options["n_rounds"] = 2
    return cls(SPACE, **{**options, **kwargs})


def same_results(a: dict, b: dict) -> None:
    assert a["params"] == b["params"]
    np.testing.assert_array_equal(a["score"], b["score"])


@pytest.mark.parametrize("cls", [BayesianOptimizer, CoarseToFineOptimizer])
def test_interrupted_maximize_resumes_without_evaluating_twice(cls, tmp_path):
    reference = make(cls).maximize(objective)
    calls = []

    def interrupted(**params):
        if len(calls) == 6:
            raise KeyboardInterrupt
        calls.append(params)
        return objective(**params)

    path = tmp_path / "opt.jsonl"
    with pytest.warns(UserWarning, match="interrupted"):
        first = make(cls, path).maximize(interrupted)
    assert first.stop_reason_ == "interrupted"
    n_first = len(first.results_["params"])

    def counted(**params):
        calls.append(params)
        return objective(**params)

    resumed = make(cls, path)
    resumed.maximize(counted)
    assert resumed.n_resumed_ == n_first
    assert resumed.checkpoint_path_ == str(path)
    same_results(reference.results_, resumed.results_)
    # every candidate told was evaluated once: only the evaluations of the
    # batch in flight at the Ctrl-C (6 - n_first of them) ran again
    assert len(calls) == len(reference.results_["params"]) + 6 - n_first
    table = load_checkpoint(path)
    assert table["params"] == reference.results_["params"]
    np.testing.assert_array_equal(table["score"], reference.results_["score"])


def test_ask_tell_replay_and_pending_candidates_are_asked_again(tmp_path):
    reference = make(BayesianOptimizer)
    first = reference.ask(4)
    reference.tell(first, [objective(**p) for p in first])
    following = reference.ask(2)

    path = tmp_path / "opt.jsonl"
    opt = make(BayesianOptimizer, path)
    asked = opt.ask(4)
    assert asked == first
    opt.tell(asked[:3], [objective(**p) for p in asked[:3]])
    # the process dies here: the fourth candidate was asked, never told
    resumed = make(BayesianOptimizer, path)
    assert resumed.ask(1) == [asked[3]]  # proposed again first
    assert resumed.n_resumed_ == 3
    resumed.tell(asked[3], objective(**asked[3]))
    assert resumed.ask(2) == following
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds == ["header", "ask", "batch", "batch", "ask"]


def test_told_points_never_asked_are_replayed(tmp_path):
    path = tmp_path / "opt.jsonl"
    opt = make(CoarseToFineOptimizer, path)
    opt.tell([{"x": 5.0, "kind": "b"}, {"x": 0.01, "kind": "a"}], [1.0, None])
    batch = opt.ask(3)
    resumed = make(CoarseToFineOptimizer, path)
    assert resumed.n_resumed_ == 2
    assert resumed.best_params_ == opt.best_params_
    assert resumed.best_params_["x"] == pytest.approx(5.0)
    assert resumed.ask(3) == batch


def test_optimizer_mismatch_says_what_changed(tmp_path):
    path = tmp_path / "opt.jsonl"
    make(BayesianOptimizer, path).maximize(objective, n_iter=4)
    with pytest.raises(CheckpointMismatchError, match=r"acq_func \(was 'logei'"):
        make(BayesianOptimizer, path, acq_func="ei").ask()
    with pytest.raises(CheckpointMismatchError, match="written by BayesianOptimizer"):
        make(CoarseToFineOptimizer, path).ask()
    fresh = make(BayesianOptimizer, path, random_state=3, checkpoint_mismatch="restart")
    with pytest.warns(UserWarning, match="starting afresh"):
        fresh.ask()
    assert fresh.n_resumed_ == 0


def test_optimizer_checkpoint_arguments_are_validated(tmp_path):
    with pytest.raises(ValueError, match="checkpoint must be a file path"):
        make(BayesianOptimizer, 3).ask()
    with pytest.raises(ValueError, match="checkpoint_mismatch must be"):
        make(BayesianOptimizer, tmp_path / "a", checkpoint_mismatch="no").ask()


def test_a_resumed_batch_search_keeps_its_miscalibration(tmp_path):
    # A rugged surface surprises the GP: after the fourth told batch the
    # median standardised error of its last 16 predictions passes the gate,
    # and the next batch takes half its fantasy picks from the smooth model.
    # A resume recomputes that from the journal and asks the same batches.
    from scipy import stats

    from sk_hpsearch.strategies._bayes import MISCALIBRATION_GATE

    space = {name: stats.uniform(0, 1) for name in "abc"}

    def rugged(a, b, c):
        return float(
            np.sin(37 * a) + np.cos(53 * b) + 0.5 * np.sin(91 * c) - 3 * (a - 0.5) ** 2
        )

    def run(opt, n_batches):
        batches = []
        for _ in range(n_batches):
            # the initial design's 4 points alone, then batches of 8
            batch = opt.ask(8 if len(opt.results_.get("params", [])) else 4)
            opt.tell(batch, [rugged(**p) for p in batch])
            batches.append(batch)
        return batches

    options = {"n_iter": 60, "n_initial_points": 4, "random_state": 0}
    reference = run(BayesianOptimizer(space, **options), 6)
    path = tmp_path / "opt.jsonl"
    run(BayesianOptimizer(space, checkpoint=path, **options), 4)
    states = [
        json.loads(line)["state"]
        for line in path.read_text().splitlines()
        if json.loads(line)["kind"] == "batch"
    ]
    assert states[-1]["miscalibration"] >= MISCALIBRATION_GATE
    resumed = BayesianOptimizer(space, checkpoint=path, **options)
    assert resumed.n_resumed_ == 4 + 3 * 8
    assert run(resumed, 2) == reference[4:]
    last = json.loads(path.read_text().splitlines()[-1])["state"]
    assert last["miscalibration"] is not None


@pytest.mark.parametrize("cls", ["BayesianOptimizer", "CoarseToFineOptimizer"])
def test_a_time_boxed_maximize_resumes_and_plans_for_n_iter_after(
    tmp_path, monkeypatch, cls
):
    from scipy import stats

    import sk_hpsearch
    from sk_hpsearch.loop import _loop

    clock = [0.0]
    monkeypatch.setattr(_loop.time, "monotonic", lambda: clock[0])

    def f(x):
        clock[0] += 1.0
        return -abs(x - 0.3)

    def optimizer(**kw):
        return getattr(sk_hpsearch, cls)(
            {"x": stats.uniform(0, 1)}, n_iter=300, random_state=0, max_time=30.0, **kw
        )

    first = optimizer(checkpoint=tmp_path / "j.jsonl").maximize(f)
    assert first.stop_reason_ == "max_time"
    clock[0] = 0.0
    again = optimizer(checkpoint=tmp_path / "j.jsonl").maximize(f, n_iter=1)
    assert again.n_resumed_ == len(first.results_["params"])
    # Without a checkpoint the box plans the run's end, for that run only.
    boxed = optimizer().maximize(f)
    assert boxed._strategy.horizon == 300
