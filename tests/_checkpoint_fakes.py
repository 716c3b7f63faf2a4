"""A classifier that counts its fits in a file, and a search to kill.

The count lives outside the process (one line per completed fit, appended
to the file named by ``SKH_FIT_COUNTER``), so it survives a SIGKILL. With
``SKH_HANG_AT=n``, the fit that would be the ``n + 1``-th sleeps first: a
test can kill or interrupt the search at a known point.

Run as a script: ``python -m tests._checkpoint_fakes CLASS CHECKPOINT OUT``
fits the search of :func:`make_search` and pickles its ``cv_results_``
(timings aside) and ``stop_reason_`` to ``OUT``.
"""

from __future__ import annotations

import os
import pickle
import sys
import time

from tests._fakes import FunctionClassifier, classification_data


class CountingClassifier(FunctionClassifier):
    """:class:`FunctionClassifier` that appends each fit to a counter file."""

    def fit(self, X, y, sample_weight=None):
        path = os.environ.get("SKH_FIT_COUNTER")
        if path:
            hang_at = int(os.environ.get("SKH_HANG_AT", "-1"))
            if hang_at >= 0 and _count(path) >= hang_at:
                time.sleep(120)  # the test kills or interrupts us here
            if os.environ.get("SKH_FAIL_IF_EXISTS") and os.path.exists(
                os.environ["SKH_FAIL_IF_EXISTS"]
            ):
                if _count(path) >= int(os.environ.get("SKH_FAIL_AT", "0")):
                    raise RuntimeError("CountingClassifier failed on purpose")
        super().fit(X, y)
        if path:
            budget = getattr(self, "n_steps", "-")
            line = f"{self.alpha!r} {self.beta!r} {self.kind} {budget} {len(y)}\n"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return self


def _count(path: str) -> int:
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


def fits(path: str) -> list[str]:
    """The fits recorded in the counter file, in order."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def make_search(name: str, checkpoint=None, **kwargs):
    """A small search over :class:`CountingClassifier` (3 folds, refit=False)."""
    from scipy.stats import uniform

    from sk_hpsearch import CoarseToFineSearchCV, GPBayesSearchCV, LogUniform

    space = {
        "alpha": LogUniform(1e-4, 1.0),
        "beta": uniform(0, 1),
        "kind": ["a", "b"],
    }
    options = {"n_iter": 9, "cv": 3, "refit": False, "random_state": 0}
    if name == "GPBayesSearchCV":
        options["n_initial_points"] = 4
        cls = GPBayesSearchCV
    else:
        options["n_rounds"] = 3
        cls = CoarseToFineSearchCV
    options.update(kwargs)
    return cls(CountingClassifier(), space, checkpoint=checkpoint, **options)


def comparable(cv_results: dict) -> dict:
    """``cv_results_`` without the timing columns."""
    return {k: v for k, v in cv_results.items() if "time" not in k}


def main(argv: list[str]) -> None:
    name, checkpoint, out = argv
    X, y = classification_data()
    search = make_search(name, checkpoint)
    search.fit(X, y)
    with open(out, "wb") as f:
        pickle.dump((comparable(search.cv_results_), search.stop_reason_), f)


if __name__ == "__main__":
    # this module's classes, not __main__'s, so that the journal's key matches
    from tests._checkpoint_fakes import main as _main

    _main(sys.argv[1:])
