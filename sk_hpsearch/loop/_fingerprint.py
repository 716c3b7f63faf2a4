"""Stable text descriptions of arguments, for keying a checkpoint.

``repr`` is not enough: a function or a plain object prints its memory
address, which changes in every process, and scikit-learn abbreviates long
estimator reprs. :func:`describe` gives the same text for equal arguments in
any process, and different text for different ones.
"""

from __future__ import annotations

import hashlib
import inspect

import joblib
import numpy as np

__all__ = ["data_digest", "describe", "describe_arguments", "splits_digest"]


def describe(value) -> str:
    """A text that identifies ``value`` across processes.

    Estimators (anything with ``get_params``) are described by class and
    parameters, recursively; frozen ``scipy.stats`` distributions by name and
    arguments; arrays by a digest; functions and classes by their qualified
    name; other objects by ``repr``, or their class and a digest of their
    pickle when the ``repr`` holds a memory address.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> describe(SVC(C=2.0))[:17]
    'sklearn.svm._clas'
    >>> describe({"C": [1, 10]})
    "{'C': [1, 10]}"
    """
    if inspect.isclass(value) or inspect.isroutine(value):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    if hasattr(value, "get_params") and callable(value.get_params):
        params = value.get_params(deep=False)
        inner = ", ".join(f"{k}={describe(v)}" for k, v in sorted(params.items()))
        cls = type(value)
        return f"{cls.__module__}.{cls.__qualname__}({inner})"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, digest={joblib.hash(value)})"
    if hasattr(value, "dist") and hasattr(value, "args") and hasattr(value, "kwds"):
        name = getattr(value.dist, "name", type(value.dist).__name__)
        return f"scipy.stats.{name}{describe(tuple(value.args))}{value.kwds!r}"
    text = repr(value)
    if " at 0x" in text:
        cls = type(value)
        try:
            digest = joblib.hash(value)
        except Exception:  # unpicklable: the class alone
            digest = "?"
        return f"{cls.__module__}.{cls.__qualname__}(digest={digest})"
    return text


def describe_arguments(params: dict, ignore: set[str]) -> dict[str, str]:
    """``{name: describe(value)}`` for every argument not in ``ignore``."""
    return {k: describe(v) for k, v in sorted(params.items()) if k not in ignore}


def data_digest(*values) -> str:
    """A digest of data (arrays, data frames, lists, dicts of them)."""
    return joblib.hash(values)


def splits_digest(splits) -> str:
    """A digest of CV splits: the train and test indices of every fold."""
    digest = hashlib.sha256()
    for train, test in splits:
        for part in (train, test):
            digest.update(np.asarray(part, dtype=np.int64).tobytes())
            digest.update(b"|")
    return digest.hexdigest()[:32]
