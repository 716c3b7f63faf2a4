"""Checkpoints of the search classes: journal, resume without refits, keys.

The fits actually executed are counted outside the process
(:class:`tests._checkpoint_fakes.CountingClassifier`), so a search killed by
SIGKILL can be shown to have run every fit exactly once over its two lives.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from joblib.externals.loky import get_reusable_executor
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_validate

from sk_hpsearch import CheckpointMismatchError, load_checkpoint
from tests._checkpoint_fakes import comparable, fits, make_search
from tests._fakes import classification_data
from tests._signals import ctrl_c_restored

ROOT = Path(__file__).resolve().parents[1]
SEARCHES = ["GPBayesSearchCV", "CoarseToFineSearchCV"]


def assert_same_results(a: dict, b: dict) -> None:
    a, b = comparable(a), comparable(b)
    assert a.keys() == b.keys()
    for key in a:
        if key == "params":
            assert a[key] == b[key]
            continue
        x, y = a[key], b[key]
        if isinstance(x, np.ma.MaskedArray):
            assert np.array_equal(np.ma.getmaskarray(x), np.ma.getmaskarray(y)), key
            x, y = np.ma.getdata(x), np.ma.getdata(y)
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype, key
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=key)
        else:
            assert x.tolist() == y.tolist(), key


def stop_after(n_batches: int):
    return lambda state: state.n_batches >= n_batches


@pytest.fixture
def counter(tmp_path, monkeypatch):
    path = tmp_path / "fits.txt"
    monkeypatch.setenv("SKH_FIT_COUNTER", str(path))
    # loky reuses its worker processes across tests: workers started before
    # the variable was set would not see it, and would count nothing.
    get_reusable_executor().shutdown(wait=True)
    return path


@pytest.mark.parametrize("name", SEARCHES)
def test_resume_equals_uninterrupted_run_without_refits(name, tmp_path, counter):
    X, y = classification_data()
    reference = make_search(name).fit(X, y)
    all_fits = fits(counter)
    counter.unlink()
    path = tmp_path / "search.jsonl"

    first = make_search(name, path, callbacks=stop_after(2)).fit(X, y)
    assert first.stop_reason_ == "callback"
    done = fits(counter)
    resumed = make_search(name, path).fit(X, y)

    assert_same_results(reference.cv_results_, resumed.cv_results_)
    assert resumed.n_resumed_ == len(first.cv_results_["params"])
    assert resumed.checkpoint_path_ == str(path)
    # every fit ran exactly once over both runs: nothing journaled ran again
    assert Counter(fits(counter)) == Counter(all_fits)
    assert len(fits(counter)) - len(done) == len(all_fits) - len(done)
    # a third fit replays everything and fits nothing
    before = len(fits(counter))
    again = make_search(name, path).fit(X, y)
    assert len(fits(counter)) == before
    assert again.n_resumed_ == len(reference.cv_results_["params"])
    assert_same_results(reference.cv_results_, again.cv_results_)


@pytest.mark.parametrize("name", SEARCHES)
def test_journal_is_documented_json_lines(name, tmp_path):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    search = make_search(name, path, return_train_score=True).fit(X, y)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    header, batches = lines[0], lines[1:]
    assert header["kind"] == "header"
    assert header["format"] == "sk_hpsearch.checkpoint"
    assert header["owner"] == name
    assert set(header["key"]) == {"arguments", "space", "data", "splits", "prior"}
    assert [b["batch"] for b in batches] == list(range(len(batches)))
    first = batches[0]
    assert set(first) >= {"X", "params", "columns", "scores", "fits", "state"}
    assert len(first["fits"][0]) == 3  # one entry per split
    assert set(first["fits"][0][0]) >= {
        "test_scores",
        "train_scores",
        "n_test_samples",
        "fit_time",
        "score_time",
        "fit_error",
    }
    assert set(first["state"]["rng"]) == {"keys", "pos", "has_gauss", "gauss"}
    if name == "GPBayesSearchCV":
        assert batches[-1]["state"]["gp_params"]["log_lengthscales"]
    else:
        assert batches[-1]["state"]["round"] == 3
    n_rows = sum(len(b["params"]) for b in batches)
    assert n_rows == len(search.cv_results_["params"])


def test_load_checkpoint_gives_a_cv_results_like_table(tmp_path):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    search = make_search("GPBayesSearchCV", path).fit(X, y)
    table = load_checkpoint(path)
    results = search.cv_results_
    assert table["params"] == results["params"]
    for key in ("mean_test_score", "std_test_score", "split0_test_score"):
        np.testing.assert_allclose(table[key], results[key])
    np.testing.assert_array_equal(table["rank_test_score"], results["rank_test_score"])
    np.testing.assert_array_equal(table["step"], results["step"])
    assert list(table["param_kind"]) == list(results["param_kind"])


def test_resume_with_budgets(tmp_path, counter):
    from tests._checkpoint_fakes import CountingClassifier

    class Budget(CountingClassifier):
        def __init__(self, alpha=1.0, beta=0.5, kind="a", fail=False, n_steps=9):
            super().__init__(alpha=alpha, beta=beta, kind=kind, fail=fail)
            self.n_steps = n_steps

        def score(self, X, y=None, sample_weight=None):
            return super().score(X, y) - 1.0 / self.n_steps

    X, y = classification_data()
    options = {"resource": "n_steps", "min_resources": 1, "reduction_factor": 3}
    for name in SEARCHES:
        reference = make_search(name, **options)
        reference.estimator = Budget()
        reference.fit(X, y)
        all_fits = fits(counter)
        counter.unlink()
        path = tmp_path / f"{name}.jsonl"
        first = make_search(name, path, callbacks=stop_after(3), **options)
        first.estimator = Budget()
        first.fit(X, y)
        resumed = make_search(name, path, **options)
        resumed.estimator = Budget()
        # the first run, stopped early, trained its best to the full budget
        # (a drain an uninterrupted run does later): the resume departs there
        with pytest.warns(UserWarning, match="departs from the journal at batch"):
            resumed.fit(X, y)
        assert_same_results(reference.cv_results_, resumed.cv_results_)
        # each candidate x budget x split ran once (the drain of the first run
        # trained one candidate further than the uninterrupted run needed)
        assert set(Counter(fits(counter)).values()) == {3}
        assert set(all_fits) <= set(fits(counter))
        state = json.loads(path.read_text().splitlines()[-1])["state"]
        assert [rung["budget"] for rung in state["rungs"]] == [1, 3, 9]
        counter.unlink()


def test_resume_with_two_jobs_and_multimetric_train_scores(tmp_path, counter):
    X, y = classification_data()
    options = {
        "n_jobs": 2,
        "return_train_score": True,
        "scoring": {"score": lambda est, X, y: est.score(X, y), "acc": "accuracy"},
        "refit": "score",
    }
    reference = make_search(
        "GPBayesSearchCV",
        n_jobs=1,
        **{k: v for k, v in options.items() if k != "n_jobs"},
    ).fit(X, y)
    all_fits = fits(counter)
    counter.unlink()
    path = tmp_path / "search.jsonl"
    make_search("GPBayesSearchCV", path, callbacks=stop_after(2), **options).fit(X, y)
    resumed = make_search("GPBayesSearchCV", path, **options).fit(X, y)
    assert_same_results(reference.cv_results_, resumed.cv_results_)

    def cv_fits(lines):  # the refits on all 60 samples aside
        return Counter(line for line in lines if not line.endswith(" 60"))

    assert cv_fits(fits(counter)) == cv_fits(all_fits)


def test_clone_keeps_the_checkpoint_and_resumes(tmp_path, counter):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    search = make_search("CoarseToFineSearchCV", path).fit(X, y)
    n = len(fits(counter))
    twin = clone(search).fit(X, y)
    assert twin.checkpoint == path
    assert len(fits(counter)) == n
    assert_same_results(search.cv_results_, twin.cv_results_)


def test_nested_cross_validation_keeps_one_journal_per_outer_fold(tmp_path, counter):
    X, y = classification_data(n=90)
    directory = tmp_path / "journals"
    directory.mkdir()
    search = make_search("GPBayesSearchCV", directory, n_iter=6, refit=True)
    outer = KFold(3, shuffle=True, random_state=0)
    first = cross_validate(search, X, y, cv=outer, return_estimator=True)
    journals = sorted(directory.iterdir())
    assert len(journals) == 3
    assert len({est.checkpoint_path_ for est in first["estimator"]}) == 3
    n = len(fits(counter))
    second = cross_validate(search, X, y, cv=outer, return_estimator=True)
    # only the three refits on each outer training set ran again
    assert len(fits(counter)) == n + 3
    assert sorted(directory.iterdir()) == journals
    np.testing.assert_array_equal(first["test_score"], second["test_score"])
    assert all(est.n_resumed_ == 6 for est in second["estimator"])


def test_a_file_checkpoint_refuses_other_data(tmp_path):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("GPBayesSearchCV", path, n_iter=5).fit(X, y)
    with pytest.raises(CheckpointMismatchError, match="the data"):
        make_search("GPBayesSearchCV", path, n_iter=5).fit(X[:-3], y[:-3])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"n_initial_points": 5}, r"n_initial_points \(was 4, now 5\)"),
        ({"cv": KFold(3, shuffle=True, random_state=1)}, "cv .*splits"),
        ({"error_score": -1.0}, "error_score"),
        ({"random_state": 1}, r"random_state \(was 0, now 1\)"),
    ],
)
def test_mismatch_says_what_changed(tmp_path, change, match):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("GPBayesSearchCV", path, n_iter=5).fit(X, y)
    size = path.stat().st_size
    with pytest.raises(CheckpointMismatchError, match=match):
        make_search("GPBayesSearchCV", path, n_iter=5, **change).fit(X, y)
    assert path.stat().st_size == size  # untouched


def test_changed_space_and_estimator_are_named(tmp_path):
    from sk_hpsearch import LogUniform

    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("CoarseToFineSearchCV", path, n_iter=4).fit(X, y)
    search = make_search("CoarseToFineSearchCV", path, n_iter=4)
    search.param_distributions = {
        **search.param_distributions,
        "alpha": LogUniform(1e-3, 1),
    }
    with pytest.raises(CheckpointMismatchError, match="param_distributions"):
        search.fit(X, y)
    search = make_search("CoarseToFineSearchCV", path, n_iter=4)
    search.estimator.set_params(fail=True)
    with pytest.raises(CheckpointMismatchError, match=r"estimator .*fail=True"):
        search.fit(X, y)
    search = make_search("GPBayesSearchCV", path, n_iter=4)
    with pytest.raises(
        CheckpointMismatchError, match="written by CoarseToFineSearchCV"
    ):
        search.fit(X, y)


def test_restart_moves_the_old_journal_aside(tmp_path):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("GPBayesSearchCV", path, n_iter=5).fit(X, y)
    old = path.read_text()
    search = make_search(
        "GPBayesSearchCV", path, n_iter=5, random_state=1, checkpoint_mismatch="restart"
    )
    with pytest.warns(UserWarning, match="starting afresh"):
        search.fit(X, y)
    assert search.n_resumed_ == 0
    assert (tmp_path / "search.jsonl.bak").read_text() == old
    assert (
        json.loads(path.read_text().splitlines()[0])["key"]["arguments"]["random_state"]
        == "1"
    )


def test_changed_n_iter_replays_while_the_plan_agrees(tmp_path, counter):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("CoarseToFineSearchCV", path, n_iter=9, n_rounds=3).fit(X, y)
    longer = make_search("CoarseToFineSearchCV", path, n_iter=12, n_rounds=3)
    with pytest.warns(UserWarning, match=r"departs .* batch 0 \(n_iter changed from 9"):
        longer.fit(X, y)  # other rounds: other candidates, fitted and journaled
    assert len(longer.cv_results_["params"]) == 12
    # a GP search asked for more candidates continues the same plan
    path = tmp_path / "gp.jsonl"
    make_search("GPBayesSearchCV", path, n_iter=30, callbacks=stop_after(3)).fit(X, y)
    n = len(fits(counter))
    resumed = make_search("GPBayesSearchCV", path, n_iter=30).fit(X, y)
    assert resumed.n_resumed_ == 6
    assert len(fits(counter)) == n + 3 * (30 - 6)


def test_torn_last_line_is_ignored_and_cut(tmp_path, counter):
    X, y = classification_data()
    path = tmp_path / "search.jsonl"
    make_search("GPBayesSearchCV", path, callbacks=stop_after(2)).fit(X, y)
    with open(path, "a") as f:
        f.write('{"kind": "batch", "batch": 2, "X": [[0.1, 0.')  # a kill mid-write
    with pytest.warns(UserWarning, match="torn line"):
        resumed = make_search("GPBayesSearchCV", path).fit(X, y)
    assert resumed.n_resumed_ == 5
    lines = path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)
    assert len(lines) == 1 + len(set(resumed.cv_results_["step"]))


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    X, y = classification_data()
    path = tmp_path / "notes.txt"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(CheckpointMismatchError, match="not an sk_hpsearch checkpoint"):
        make_search("GPBayesSearchCV", path, n_iter=4).fit(X, y)
    path.write_text("hello\nworld\n")
    with pytest.raises(ValueError, match=r"Line 1 .* is not valid JSON"):
        make_search("GPBayesSearchCV", path, n_iter=4).fit(X, y)


def test_invalid_checkpoint_arguments_are_named(tmp_path):
    X, y = classification_data()
    with pytest.raises(ValueError, match="checkpoint_mismatch"):
        make_search("GPBayesSearchCV", tmp_path / "a", checkpoint_mismatch="x").fit(
            X, y
        )
    with pytest.raises(ValueError, match="'checkpoint' parameter"):
        make_search("GPBayesSearchCV", 3).fit(X, y)


def test_a_search_that_raised_resumes(tmp_path, counter, monkeypatch):
    X, y = classification_data()
    reference = make_search("GPBayesSearchCV").fit(X, y)
    all_fits = fits(counter)
    counter.unlink()
    flag = tmp_path / "fail"
    flag.write_text("")
    monkeypatch.setenv("SKH_FAIL_IF_EXISTS", str(flag))
    monkeypatch.setenv("SKH_FAIL_AT", "15")  # the first fit of the third batch
    path = tmp_path / "search.jsonl"
    with pytest.raises(RuntimeError, match="failed on purpose"):
        make_search("GPBayesSearchCV", path, error_score="raise").fit(X, y)
    assert len(path.read_text().splitlines()) == 3  # header + 2 batches
    flag.unlink()
    resumed = make_search("GPBayesSearchCV", path, error_score="raise").fit(X, y)
    assert_same_results(reference.cv_results_, resumed.cv_results_)
    assert Counter(fits(counter)) == Counter(all_fits)


def _run_script(name, path, out, env):
    return subprocess.Popen(
        [sys.executable, "-m", "tests._checkpoint_fakes", name, str(path), str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=ctrl_c_restored,  # SIGINT is then Ctrl-C even from a job
    )


def _wait_for_lines(path: Path, n: int, proc, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode())
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"{path} never had {n} lines")


@pytest.mark.parametrize("name", SEARCHES)
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_killed_subprocess_resumes_without_running_a_fit_twice(
    name, how, tmp_path, counter
):
    X, y = classification_data()
    reference = make_search(name).fit(X, y)
    all_fits = fits(counter)
    counter.unlink()
    path, out = tmp_path / "search.jsonl", tmp_path / "out.pkl"
    # fits of the first two batches (3 folds): GP 4 + 1 candidates, CTF 3 + 3
    journaled = 3 * (5 if name == "GPBayesSearchCV" else 6)
    proc = _run_script(
        name,
        path,
        out,
        {"SKH_FIT_COUNTER": str(counter), "SKH_HANG_AT": str(journaled)},
    )
    _wait_for_lines(path, 3, proc)  # header + 2 batches, then it hangs in a fit
    deadline = time.monotonic() + 60
    while len(fits(counter)) < journaled and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(getattr(signal, how))
    proc.wait(timeout=60)
    if how == "SIGKILL":
        assert proc.returncode == -signal.SIGKILL
    else:  # Ctrl-C: the search stops after the completed batches and returns
        assert proc.returncode == 0, proc.stdout.read().decode()
        _, reason = pickle.loads(out.read_bytes())
        assert reason == "interrupted"
    assert len(fits(counter)) == journaled
    assert len(path.read_text().splitlines()) == 3

    resumed = make_search(name, path).fit(X, y)
    assert_same_results(reference.cv_results_, resumed.cv_results_)
    assert len(fits(counter)) == len(all_fits)  # nothing completed ran twice
    assert Counter(fits(counter)) == Counter(all_fits)


def test_two_processes_on_one_file_do_not_corrupt_it(tmp_path, counter):
    X, y = classification_data()
    reference = make_search("GPBayesSearchCV").fit(X, y)
    path = tmp_path / "search.jsonl"
    procs = [
        _run_script("GPBayesSearchCV", path, tmp_path / f"out{i}.pkl", {})
        for i in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=180) == 0, proc.stdout.read().decode()
    lines = path.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is whole
    assert sum(r["kind"] == "header" for r in records) == 1
    for i in range(2):
        results, _ = pickle.loads((tmp_path / f"out{i}.pkl").read_bytes())
        assert_same_results(reference.cv_results_, results)
    resumed = make_search("GPBayesSearchCV", path).fit(X, y)
    assert resumed.n_resumed_ == len(reference.cv_results_["params"])
    assert_same_results(reference.cv_results_, resumed.cv_results_)


def test_a_time_boxed_search_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    # With a checkpoint the box only stops the search: the resumed run, whose
    # replayed fits take no time, retraces the journal and goes on.
    from scipy import stats
    from sklearn.base import BaseEstimator, ClassifierMixin

    from sk_hpsearch import CoarseToFineSearchCV
    from sk_hpsearch.loop import _loop

    clock = [0.0]
    monkeypatch.setattr(_loop.time, "monotonic", lambda: clock[0])

    class Slow(ClassifierMixin, BaseEstimator):
        def __init__(self, a=0.5):
            self.a = a

        def fit(self, X, y):
            clock[0] += 0.5  # two folds: a second a candidate
            self.classes_ = np.unique(y)
            return self

        def score(self, X, y):
            return -abs(self.a - 0.3)

    X, y = classification_data()
    options = dict(n_iter=300, cv=2, random_state=0, max_time=20.0)

    def boxed():
        return CoarseToFineSearchCV(
            Slow(),
            {"a": stats.uniform(0, 1)},
            checkpoint=tmp_path / "j.jsonl",
            **options,
        ).fit(X, y)

    first = boxed()
    assert first.stop_reason_ == "max_time" and len(first.cv_results_["params"]) >= 1
    clock[0] = 0.0
    again = boxed()
    assert again.n_resumed_ == len(first.cv_results_["params"])
    assert len(again.cv_results_["params"]) > len(first.cv_results_["params"])
