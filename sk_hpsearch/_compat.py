"""The one place that touches private scikit-learn API.

Private API drifts between releases; keeping every use here means a new
scikit-learn release breaks (at most) this module, and its tests say so.
"""

from __future__ import annotations

import inspect
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import _search as _sk_search
from sklearn.model_selection import check_cv

# The base class scikit-learn's own searches subclass, with the extension
# contract every search here follows (implement ``_run_search``, call
# ``evaluate_candidates``); scikit-learn documents it but exports it only
# from this private module.
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._split import _yields_constant_splits
from sklearn.model_selection._validation import _insert_error_scores

# scikit-learn's parameter constraints: ``BaseSearchCV._parameter_constraints``
# is written with these classes, and the searches extend that dict so that
# ``fit`` validates their own parameters the way it validates scikit-learn's
# (the same ``InvalidParameterError`` naming the parameter and the value).
# scikit-learn exports them from no public module.
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = [
    "BaseSearchCV",
    "FitReplay",
    "HasMethods",
    "Interval",
    "StrOptions",
    "defer_all_fits_failed",
    "failed_candidates",
    "fit_inputs",
    "last_fit_outputs",
    "replay_fits",
    "search_cv",
    "search_n_splits",
    "yields_constant_splits",
]


def search_n_splits(search) -> int:
    """The number of folds of a fitting search, inside ``_run_search``.

    scikit-learn 1.9 sets ``n_splits_`` before calling ``_run_search``; 1.6
    only after it. There the splitter is asked, which works for every
    splitter whose ``get_n_splits`` needs no data (1 otherwise: the batch of
    ``n_points="auto"`` then counts one fit per candidate). Re-check when 1.6
    support is dropped.
    """
    n_splits = getattr(search, "n_splits_", None)
    if n_splits is None:
        try:
            n_splits = search_cv(search).get_n_splits()
        except (TypeError, ValueError):  # it needs X, y or groups
            n_splits = 1
    return int(n_splits)


def search_cv(search):
    """The splitter a fitting search's ``evaluate_candidates`` uses.

    Recent scikit-learn (1.9) keeps it as the private ``_checked_cv_orig`` (set in
    ``fit`` before ``_run_search``); 1.6 keeps it in a local variable
    of ``fit``. There, ``check_cv(search.cv)`` gives a splitter of the same
    kind of constancy: an int becomes an unshuffled ``KFold`` (the stratified
    kind ``fit`` builds for a classifier is unshuffled too), and a splitter
    object or an iterable comes back as itself (wrapped). Re-check when 1.6
    support is dropped.

    Parameters
    ----------
    search : BaseSearchCV
        A search inside its ``fit``.

    Returns
    -------
    cross-validation splitter
    """
    checked = getattr(search, "_checked_cv_orig", None)
    return checked if checked is not None else check_cv(search.cv)


def yields_constant_splits(cv) -> bool:
    """Whether ``cv.split`` returns the same folds on every call.

    Parameters
    ----------
    cv : cross-validation splitter
        A checked splitter (``check_cv`` output).

    Returns
    -------
    bool
        True when repeated calls give identical splits.
    """
    return bool(_yields_constant_splits(cv))


_state = threading.local()
# None if a future scikit-learn renames it: deferring then does nothing.
_original_check = getattr(_sk_search, "_warn_or_raise_about_fit_failures", None)


def _deferring_check(results, error_score):
    """Stand-in for sklearn's check while a search defers it on this thread.

    scikit-learn raises as soon as *one call* of ``evaluate_candidates`` has no
    successful fit. An iterative search calls it many times with few
    candidates, and a single bad candidate would then throw away every result
    already computed. While deferring, a batch whose fits all failed only
    warns; the search raises at the end if *every* fit of the search failed.

    Only the search that opened the context defers: another search run by
    one of its fits on this thread (a ``GridSearchCV`` as the estimator, say)
    is recognised by the ``self`` of sklearn's ``evaluate_candidates`` closure
    that calls this function, and keeps sklearn's check.
    """
    log = getattr(_state, "log", None)
    if log is None:
        return _original_check(results, error_score)
    owner = getattr(_state, "owner", None)
    caller = sys._getframe(1).f_locals.get("self")
    if owner is not None and caller is not None and caller is not owner:
        return _original_check(results, error_score)
    log.extend(results)
    _state.batch = results
    # With a callable scorer that returns a dict, sklearn gives failed fits
    # dict scores only within a batch that has a success. A failed batch now
    # goes through, so fill the failures of every batch so far, in place (the
    # search keeps these very result dicts), once any fit has succeeded.
    _insert_error_scores(log, error_score)
    if any(result["fit_error"] is None for result in results):
        return _original_check(results, error_score)
    if results:
        warnings.warn(
            f"\nAll the {len(results)} fits of this batch of candidates failed; "
            f"their scores are set to {error_score}. The search goes on.\n"
            f"First error:\n{results[0]['fit_error']}",
            FitFailedWarning,
            stacklevel=2,
        )
    return None


@contextmanager
def defer_all_fits_failed(error_score, owner=None) -> Iterator[None]:
    """Raise "all fits failed" once for the whole search, not once per batch.

    Parameters
    ----------
    error_score : 'raise' or float
        The search's ``error_score`` (with ``'raise'`` nothing is deferred:
        the first failure propagates, as in scikit-learn).
    owner : BaseSearchCV, default=None
        The search whose batches are deferred; other searches run on this
        thread inside the block (nested in its fits) keep scikit-learn's
        check. ``None`` defers every search on this thread.

    Yields
    ------
    None
        Inside the block, ``evaluate_candidates`` calls on this thread record
        fit failures instead of raising; on exit, if every fit failed, the
        usual scikit-learn ``ValueError`` is raised.
    """
    if _original_check is None:
        yield
        return
    if _sk_search._warn_or_raise_about_fit_failures is _original_check:
        _sk_search._warn_or_raise_about_fit_failures = _deferring_check
    previous = (
        getattr(_state, "log", None),
        getattr(_state, "owner", None),
        getattr(_state, "batch", None),
    )
    log: list = []
    _state.log, _state.owner, _state.batch = log, owner, None
    try:
        yield
    finally:
        _state.log, _state.owner, _state.batch = previous
    if log and all(e["fit_error"] is not None for e in log):
        _original_check(log, error_score)


def failed_candidates(n_candidates: int) -> np.ndarray:
    """Which candidates of the last batch had a fit fail, inside the context.

    scikit-learn gives a failed fit the score ``error_score``, which may be a
    finite number; only the fit results it checks tell failures apart.

    Parameters
    ----------
    n_candidates : int
        Number of candidates of the last ``evaluate_candidates`` call of the
        search that opened :func:`defer_all_fits_failed` on this thread.

    Returns
    -------
    ndarray of shape (n_candidates,), dtype bool
        True where at least one fit of the candidate failed; all False when
        the batch is unknown (outside the context, or if scikit-learn changed).
    """
    batch = getattr(_state, "batch", None)
    if not batch or len(batch) % n_candidates:
        return np.zeros(n_candidates, dtype=bool)
    # sklearn fits the pairs of product(candidates, splits): candidate-major.
    errors = [result.get("fit_error") is not None for result in batch]
    return np.array(errors, dtype=bool).reshape(n_candidates, -1).any(axis=1)


def last_fit_outputs() -> list | None:
    """The fit results of the last ``evaluate_candidates`` call, inside the context.

    The dicts scikit-learn's ``_fit_and_score`` returned for each candidate x
    split pair of the last batch (candidate-major), as seen by the check that
    :func:`defer_all_fits_failed` installs; a checkpoint journals them. None
    outside the context or if scikit-learn changed.

    Returns
    -------
    list of dict or None
    """
    return getattr(_state, "batch", None)


def fit_inputs(evaluate_candidates) -> dict | None:
    """The data ``BaseSearchCV.fit`` fits on, read from its callback's closure.

    A checkpoint is keyed to the data and the CV splits, but ``_run_search``
    only receives ``evaluate_candidates``; overriding ``fit`` would break the
    extension contract (STYLE.md). ``evaluate_candidates`` is a closure over
    ``X``, ``y`` and ``routed_params`` (scikit-learn 1.4 to 1.9 at least;
    ``tests/test_compat.py`` pins it): read them there.

    Parameters
    ----------
    evaluate_candidates : callable
        The callback ``BaseSearchCV.fit`` passes to ``_run_search``.

    Returns
    -------
    dict or None
        ``{"X", "y", "fit_params", "split_params", "cv"}``, or None when the
        closure does not hold them (a custom caller, or a future
        scikit-learn that changed it). ``cv`` is the checked splitter
        ``evaluate_candidates`` splits with: the search's
        ``_checked_cv_orig`` (scikit-learn 1.9), or the closure's
        ``cv_orig`` (1.6, which sets the attribute only after
        ``_run_search``).
    """
    try:
        nonlocals = inspect.getclosurevars(evaluate_candidates).nonlocals
        routed = nonlocals["routed_params"]
        search = nonlocals.get("self")
        cv = nonlocals.get("cv_orig", getattr(search, "_checked_cv_orig", None))
        return {
            "X": nonlocals["X"],
            "y": nonlocals["y"],
            "fit_params": dict(routed.estimator.fit),
            "split_params": dict(routed.splitter.split),
            "cv": cv,
        }
    except (KeyError, TypeError, AttributeError):
        return None


class FitReplay:
    """Stand-in for scikit-learn's ``_fit_and_score`` that returns journaled fits.

    ``BaseSearchCV.fit``'s ``evaluate_candidates`` looks ``_fit_and_score``
    up in :mod:`sklearn.model_selection._search` at every call (scikit-learn
    1.4 to 1.9 at least; ``tests/test_compat.py`` pins it); while a
    checkpoint replays a batch, :func:`replay_fits` puts an instance there,
    so scikit-learn itself formats the journaled fits into ``cv_results_``
    (params, scores, ranks, extra columns) and nothing is refitted. An
    instance holds plain data, so it pickles to loky workers. A candidate
    without journaled fits, or a call that is not one of the batch's
    candidate x split pairs (another search fitting on another thread
    meanwhile), runs the real ``_fit_and_score``.

    Parameters
    ----------
    params : list of dict
        The batch's candidates.
    outputs : list of (list of dict or None)
        ``outputs[candidate][split]``: the dict ``_fit_and_score`` returned;
        None for a candidate to fit for real.
    """

    def __init__(self, params: list, outputs: list):
        self.params = [repr(p) for p in params]
        self.outputs = outputs

    def __call__(self, estimator, X, y, **kwargs):
        candidate = kwargs.get("candidate_progress") or (-1, -1)
        split = kwargs.get("split_progress") or (-1, -1)
        ours = (
            candidate[1] == len(self.outputs)
            and 0 <= candidate[0] < len(self.outputs)
            and self.outputs[candidate[0]] is not None
            and split[1] == len(self.outputs[candidate[0]])
            and 0 <= split[0] < split[1]
            and repr(kwargs.get("parameters")) == self.params[candidate[0]]
        )
        if not ours:
            return _fit_original(estimator, X, y, **kwargs)
        return dict(self.outputs[candidate[0]][split[0]])


_fit_original = _sk_search._fit_and_score
_replay_lock = threading.RLock()


@contextmanager
def replay_fits(params: list, outputs: list) -> Iterator[None]:
    """Within the block, ``evaluate_candidates`` returns ``outputs``, fitting nothing.

    Parameters
    ----------
    params : list of dict
        The candidates of the batch about to be evaluated.
    outputs : list of (list of dict or None)
        ``outputs[candidate][split]``: what their fits returned before; None
        for a candidate to fit for real.
    """
    with _replay_lock:
        _sk_search._fit_and_score = FitReplay(params, outputs)
        try:
            yield
        finally:
            _sk_search._fit_and_score = _fit_original
