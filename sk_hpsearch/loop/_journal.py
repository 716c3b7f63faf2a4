"""The checkpoint journal: one JSON line per completed batch, safe to kill.

A journal is a text file of JSON lines. The first line is a header that keys
the journal to the search that wrote it; each further line is one batch,
appended when the batch was evaluated and told::

    {"kind": "header", "format": "sk_hpsearch.checkpoint", "version": 1,
     "owner": "GPBayesSearchCV", "key": {"arguments": {...}, "space": "...",
     "data": "...", "splits": "..."}, "n_iter": 30}
    {"kind": "batch", "batch": 0, "X": [[...]], "params": [{...}],
     "columns": {"step": [0, 0]}, "resource": null, "ids": null,
     "scores": [0.93, null], "fits": [[{...}, ...], ...],
     "state": {"rng": {...}, "step": 0, ...}}

Non-finite numbers are written as ``null`` (NaN) and ``"inf"`` / ``"-inf"``,
so any JSON reader takes the file. Every line is written by one ``write``
on a file opened with ``O_APPEND``, under an exclusive ``flock`` (POSIX),
then ``fsync``-ed: a kill leaves at most a torn last line, which the next
reader ignores (and the next writer cuts off), and two processes appending
to one file never interleave their lines.
"""

from __future__ import annotations

import base64
import json
import math
import numbers
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from scipy.stats import rankdata

try:  # POSIX only; elsewhere appends are still atomic lines, without a lock
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = [
    "FORMAT",
    "CheckpointMismatchError",
    "Journal",
    "decode_floats",
    "jsonable",
    "jsonable_params",
    "key_differences",
    "load_checkpoint",
    "rng_state",
]

FORMAT = "sk_hpsearch.checkpoint"
VERSION = 1


class CheckpointMismatchError(ValueError):
    """A checkpoint file was written by a different search.

    Raised by ``fit`` (or an optimiser's first call) when the file's key (the
    search's arguments, the space, the data, the CV splits) or its recorded
    batches disagree with the search that opens it. The message says what
    changed. Subclasses :class:`ValueError`.
    """


def jsonable(value):
    """``value`` with numpy types made native and non-finite floats encoded.

    NaN becomes None, infinities ``"inf"`` / ``"-inf"``; dicts, lists,
    tuples and arrays are converted element by element.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value


def decode_floats(value):
    """Inverse of :func:`jsonable` for numbers: None -> NaN, "inf" -> inf."""
    if isinstance(value, dict):
        return {k: decode_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_floats(v) for v in value]
    if value is None:
        return math.nan
    if value == "inf":
        return math.inf
    if value == "-inf":
        return -math.inf
    return value


def jsonable_params(params: dict) -> dict:
    """A readable JSON form of a parameter dict (``repr`` of other objects)."""
    out = {}
    for name, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, bool | numbers.Real | str):
            out[name] = jsonable(value)
        else:
            out[name] = repr(value)
    return out


def rng_state(rng: np.random.RandomState) -> dict:
    """The state of a ``RandomState``, JSON-able (Mersenne-Twister keys in base64)."""
    _, keys, pos, has_gauss, gauss = rng.get_state(legacy=True)
    return {
        "keys": base64.b64encode(np.asarray(keys, dtype="<u4").tobytes()).decode(),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "gauss": float(gauss),
    }


def key_differences(old: dict, new: dict) -> list[str]:
    """What differs between two journal keys, in words (empty if nothing)."""
    changes = []
    old_args, new_args = old.get("arguments", {}), new.get("arguments", {})
    for name in sorted(set(old_args) | set(new_args)):
        if old_args.get(name) != new_args.get(name):
            changes.append(
                f"{name} (was {_short(old_args.get(name))}, "
                f"now {_short(new_args.get(name))})"
            )
    if old.get("space") != new.get("space"):
        changes.append(
            f"param_distributions (was {_short(old.get('space'))}, "
            f"now {_short(new.get('space'))})"
        )
    if old.get("data") != new.get("data"):
        changes.append("the data (X, y or the fit parameters)")
    if old.get("splits") != new.get("splits"):
        changes.append("the cross-validation splits")
    if old.get("prior") != new.get("prior"):
        changes.append("the earlier results of the warm start")
    return changes


def _short(text, limit: int = 80) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextmanager
def _locked(fd: int) -> Iterator[None]:
    """An exclusive lock on the open file ``fd`` (no-op without ``fcntl``)."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _dumps(record: dict) -> bytes:
    return (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode()


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (under the caller's lock)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_lines(path: str, *, repair: bool = False) -> list[dict]:
    """The JSON records of a journal, a torn last line ignored.

    Parameters
    ----------
    path : str
    repair : bool, default=False
        Cut a torn last line off the file (under the lock), so that the next
        append starts on a fresh line.

    Returns
    -------
    list of dict
    """
    flags = os.O_RDWR if repair else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        with _locked(fd):
            data = b""
            while chunk := os.read(fd, 1 << 20):
                data += chunk
            end = data.rfind(b"\n") + 1
            if end < len(data):
                warnings.warn(
                    f"The checkpoint {path!r} ends with a torn line (a write cut "
                    "by a kill); it is ignored.",
                    UserWarning,
                    stacklevel=3,
                )
                if repair:
                    os.ftruncate(fd, end)
                    os.fsync(fd)
    finally:
        os.close(fd)
    records = []
    for number, line in enumerate(data[:end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as exc:
            raise ValueError(
                f"Line {number} of the checkpoint {path!r} is not valid JSON "
                f"({exc}); the file was edited or is not a checkpoint."
            ) from None
    return records


class Journal:
    """Append-only JSON-lines file that keys and records a search.

    Parameters
    ----------
    path : str
        The file (created if missing).
    owner : str
        The class writing it (``"GPBayesSearchCV"``, ...).
    key : dict
        What the journal belongs to: ``{"arguments": {name: text}, "space":
        text, "data": digest, "splits": digest}`` (the last two for searches).
    mismatch : {"raise", "restart"}, default="raise"
        What :meth:`open` does with a file keyed to another search: raise
        :class:`CheckpointMismatchError`, or move it to ``path + ".bak"``
        (with a warning) and start afresh.
    extra : dict, default=None
        More header fields (informative, not part of the key).

    Attributes
    ----------
    batches : list of dict
        The batch records read by :meth:`open`, by batch number (two
        processes writing one file may have both written a number: file
        order then).
    records : list of dict
        Every record after the header, in file order (an optimiser's
        ``"ask"`` events too).
    header : dict
        The header record read by :meth:`open`.
    """

    def __init__(
        self,
        path: str,
        *,
        owner: str,
        key: dict,
        mismatch: str = "raise",
        extra: dict | None = None,
    ):
        self.path = os.fspath(path)
        self.owner = owner
        self.key = jsonable(key)
        self.mismatch = mismatch
        self.extra = extra or {}
        self.batches: list[dict] = []
        self.records: list[dict] = []
        self.header: dict = {}

    def open(self) -> list[dict]:
        """Read the journal (writing its header if it is new); its batches.

        Raises
        ------
        CheckpointMismatchError
            If the file was written by a different search (and ``mismatch``
            is ``"raise"``).
        """
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            with _locked(fd):  # one header, even if two processes start at once
                if os.fstat(fd).st_size == 0:
                    header = {
                        "kind": "header",
                        "format": FORMAT,
                        "version": VERSION,
                        "owner": self.owner,
                        "key": self.key,
                        **jsonable(self.extra),
                    }
                    _write_all(fd, _dumps(header))
                    os.fsync(fd)
        finally:
            os.close(fd)
        records = read_lines(self.path, repair=True)
        header = records[0] if records else {}
        problem = self._problem(header)
        if problem:
            if self.mismatch != "restart":
                raise CheckpointMismatchError(problem)
            backup = self.path + ".bak"
            os.replace(self.path, backup)
            warnings.warn(
                f"{problem.split(':')[0]}: starting afresh "
                f"(checkpoint_mismatch='restart'); the old journal is now "
                f"{backup!r}.",
                UserWarning,
                stacklevel=3,
            )
            return self.open()
        self.header = header
        self.records = [r for r in records[1:] if r.get("kind") in ("ask", "batch")]
        self.batches = [r for r in self.records if r["kind"] == "batch"]
        self.batches.sort(key=lambda r: int(r["batch"]))  # stable: file order
        return self.batches

    def _problem(self, header: dict) -> str | None:
        """Why ``header`` does not belong to this search, or None."""
        where = f"The checkpoint {self.path!r}"
        if header.get("format") != FORMAT:
            return (
                f"{where} is not an sk_hpsearch checkpoint (its first line has "
                f"no format {FORMAT!r}): pass another checkpoint path"
            )
        if header.get("version") != VERSION:
            return (
                f"{where} has format version {header.get('version')!r}; this "
                f"version of sk_hpsearch reads version {VERSION}"
            )
        if header.get("owner") != self.owner:
            return f"{where} was written by {header.get('owner')}, not by {self.owner}"
        changes = key_differences(header.get("key", {}), self.key)
        if changes:
            return (
                f"{where} was written by a different search: "
                + "; ".join(changes)
                + ". Pass checkpoint_mismatch='restart' to start afresh (the "
                "old journal is kept beside it as .bak), or another checkpoint"
                " path (a directory keeps one journal per data set)."
            )
        return None

    def append(self, record: dict) -> None:
        """Append one record as one line: locked, written once, fsync-ed."""
        line = _dumps(jsonable(record))
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            with _locked(fd):
                _write_all(fd, line)
                os.fsync(fd)
        finally:
            os.close(fd)


def load_checkpoint(path) -> dict:
    """A checkpoint's candidates as a ``cv_results_``-like dict, fitting nothing.

    Reads a journal written by a search class or an optimiser (a finished or
    a half-finished one; a torn last line is ignored) so that a search can
    be inspected while it runs, or after it died.

    Parameters
    ----------
    path : str or path-like
        The journal file (``checkpoint_path_`` of a fitted search).

    Returns
    -------
    dict
        For a search's journal: ``params``, ``param_<name>`` (masked
        arrays), ``split<k>_test_<metric>``, ``mean_test_<metric>``,
        ``std_test_<metric>``, ``rank_test_<metric>`` (and the train scores
        when journaled), ``mean_fit_time``, ``std_fit_time``,
        ``mean_score_time``, ``std_score_time``, the strategy's columns
        (``step``, ``round``, ...), ``n_resources`` with budgets, and
        ``batch`` (the batch each row came from). For an optimiser's
        journal: ``params``, ``param_<name>``, ``score``, the strategy's
        columns and ``batch``. Parameter values that are not JSON numbers,
        strings or booleans appear as their ``repr``.
    """
    records = read_lines(os.fspath(path))
    if not records or records[0].get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not an sk_hpsearch checkpoint.")
    batches, seen = [], set()
    for record in sorted(
        (r for r in records[1:] if r.get("kind") == "batch"),
        key=lambda r: int(r["batch"]),
    ):
        key = json.dumps([record["X"], record.get("resource"), record.get("ids")])
        if key not in seen:  # a batch two processes both wrote counts once
            seen.add(key)
            batches.append(record)
    out: dict = {"params": [p for b in batches for p in b["params"]]}
    n = len(out["params"])
    names = dict.fromkeys(k for p in out["params"] for k in p)
    for name in names:
        out[f"param_{name}"] = np.ma.MaskedArray(
            np.array([p.get(name) for p in out["params"]], dtype=object),
            mask=[name not in p for p in out["params"]],
        )
    if batches and "fits" in batches[0]:
        fits = [candidate for b in batches for candidate in b["fits"]]
        for part in ("test", "train"):
            _score_columns(out, fits, part)
        for what in ("fit_time", "score_time"):
            times = np.array(
                [[decode_floats(f[what]) for f in c] for c in fits], dtype=float
            ).reshape(n, -1)
            out[f"mean_{what}"] = times.mean(axis=1)
            out[f"std_{what}"] = times.std(axis=1)
    else:
        out["score"] = np.array(
            [s for b in batches for s in decode_floats(b["scores"])], dtype=float
        )
    columns = dict.fromkeys(k for b in batches for k in b.get("columns", {}))
    for name in columns:
        values = [
            v
            for b in batches
            for v in b.get("columns", {}).get(name, [None] * len(b["params"]))
        ]
        out[name] = np.array(decode_floats(values))
    if any(b.get("resource") is not None for b in batches):
        out["n_resources"] = np.array(
            [b.get("resource") for b in batches for _ in b["params"]]
        )
    out["batch"] = np.array([b["batch"] for b in batches for _ in b["params"]])
    return out


def _score_columns(out: dict, fits: list, part: str) -> None:
    """``split<k>_<part>_<metric>``, mean, std (and rank for test scores)."""
    key = f"{part}_scores"
    if not fits or key not in fits[0][0]:
        return
    first = next((f[key] for c in fits for f in c if isinstance(f[key], dict)), None)
    metrics = ["score"] if first is None else list(first)
    for metric in metrics:
        scores = np.array(
            [
                [
                    decode_floats(
                        f[key][metric] if isinstance(f[key], dict) else f[key]
                    )
                    for f in c
                ]
                for c in fits
            ],
            dtype=float,
        )
        for k in range(scores.shape[1]):
            out[f"split{k}_{part}_{metric}"] = scores[:, k]
        mean = scores.mean(axis=1)
        out[f"mean_{part}_{metric}"] = mean
        out[f"std_{part}_{metric}"] = scores.std(axis=1)
        if part == "test":
            filled = np.where(
                np.isnan(mean),
                np.nanmin(mean) - 1 if np.isfinite(mean).any() else 0,
                mean,
            )
            out[f"rank_test_{metric}"] = rankdata(-filled, method="min").astype(
                np.int32
            )
