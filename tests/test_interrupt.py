"""Ctrl-C keeps the work: a real SIGINT sent to a search in a subprocess.

The child runs a search of slow fits and writes a marker after every batch;
the parent sends SIGINT to the child's process group (as a terminal's Ctrl-C
does, workers included) once two batches are done.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests._signals import ctrl_c_restored

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="POSIX signals and process groups"
)

CHILD = textwrap.dedent(
    """
    import json, sys, time, warnings
    from pathlib import Path

    import numpy as np
    from scipy import stats
    from sklearn.base import BaseEstimator, ClassifierMixin

    import sk_hpsearch

    MARKS = Path(sys.argv[1])
    N_SAMPLES = 60


    class Slow(ClassifierMixin, BaseEstimator):
        def __init__(self, alpha=1.0, marks=None):
            self.alpha = alpha
            self.marks = marks

        def fit(self, X, y):
            if len(X) == N_SAMPLES:  # the refit on the whole data
                Path(self.marks, "refit").write_text("started")
                if sys.argv[4] == "slow-refit":
                    time.sleep(60)
            time.sleep(0.05)
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

        def score(self, X, y=None):
            return -abs(np.log10(self.alpha) + 1)


    def mark(state):
        (MARKS / "batches").write_text(str(state.n_batches))
        return False


    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(N_SAMPLES, 2)), np.arange(N_SAMPLES) % 2
    cls = getattr(sk_hpsearch, sys.argv[2])
    search = cls(
        Slow(marks=str(MARKS)), {"alpha": sk_hpsearch.LogUniform(1e-3, 1e1)},
        n_iter=400, cv=3, n_jobs=int(sys.argv[3]), random_state=0, callbacks=mark,
        **({"n_points": 2} if sys.argv[2] == "GPBayesSearchCV" else {"n_rounds": 100}),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)
    print(json.dumps({
        "stop_reason": search.stop_reason_,
        "n_candidates": len(search.cv_results_["params"]),
        "best_params": search.best_params_,
        "refitted": hasattr(search, "best_estimator_"),
        "warnings": [str(w.message) for w in caught if "interrupted" in str(w.message)],
        "predicts": search.predict(X[:3]).tolist(),
    }))
    """
)


def _start(tmp_path: Path, cls: str, n_jobs: int, refit: str) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), cls, str(n_jobs), refit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell job
        preexec_fn=ctrl_c_restored,  # SIGINT is then Ctrl-C even from a job
    )


def _wait_for(path: Path, proc: subprocess.Popen, done, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and done(path.read_text()):
            return
        if proc.poll() is not None:
            pytest.fail(f"the child exited early:\n{proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"{path.name} never reached the expected state")


def _ctrl_c(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("cls", ["CoarseToFineSearchCV", "GPBayesSearchCV"])
def test_ctrl_c_keeps_the_work_done_and_refits(tmp_path, cls, n_jobs):
    proc = _start(tmp_path, cls, n_jobs, "fast-refit")
    _wait_for(tmp_path / "batches", proc, lambda text: text and int(text) >= 2)
    n_batches = int((tmp_path / "batches").read_text())
    _ctrl_c(proc)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["stop_reason"] == "interrupted"
    assert result["refitted"]
    assert len(result["predicts"]) == 3
    # Every batch completed before the signal is kept, and no more than the
    # one in flight was lost: far fewer than n_iter=400.
    per_batch = 2 if cls == "GPBayesSearchCV" else 4
    assert n_batches * per_batch <= result["n_candidates"] < 400
    assert result["warnings"] and "interrupted: keeping the" in result["warnings"][0]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_second_ctrl_c_aborts(tmp_path, n_jobs):
    proc = _start(tmp_path, "GPBayesSearchCV", n_jobs, "slow-refit")
    _wait_for(tmp_path / "batches", proc, lambda text: text and int(text) >= 2)
    _ctrl_c(proc)
    _wait_for(tmp_path / "refit", proc, lambda text: text == "started")
    _ctrl_c(proc)  # during the refit, which would take a minute
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not out
    assert "KeyboardInterrupt" in err
