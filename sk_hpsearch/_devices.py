"""Which device a fit runs on: requests, worker slots and round-robin.

A search fits its candidates in parallel joblib workers (processes with the
default ``loky`` backend, threads with ``threading``, threads of worker
processes with Dask). To spread them over several GPUs, each worker takes a
*slot* ``k`` (0, 1, 2, ...) and fits on ``devices[k % len(devices)]``.

A slot is a file lock: the worker holds ``slot-<k>.lock`` of a per-user
directory of the machine's temporary folder, ``k`` being the smallest index
that no other live worker holds. The operating system releases the lock when
the worker's process ends, so slots are dense among the workers alive now,
whatever the backend, however often loky restarts its workers, and for
several searches running at once on the machine. The main thread of a process
keeps its slot for the life of the process; any other thread releases its
slot when it ends. Where file locks are unavailable, the slot falls back to
the process's multiprocessing identity and the order in which its threads
first asked.

This module is pure logic: it never imports torch; the caller passes the
number of CUDA devices it sees.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["DEVICE_MODES", "assign_device", "resolve_device", "worker_slot"]

#: The device requests that depend on the machine and the worker.
DEVICE_MODES = ("auto", "round-robin")

#: Slots tried before giving up on file locks.
MAX_SLOTS = 4096


def assign_device(index: int, devices: Sequence):
    """Round-robin: the device of the ``index``-th worker.

    Parameters
    ----------
    index : int
        The worker's slot, >= 0.
    devices : sequence of str or torch.device
        The pool, in order.

    Returns
    -------
    str or torch.device
        ``devices[index % len(devices)]``.

    Raises
    ------
    ValueError
        If ``devices`` is empty or ``index`` is negative.

    Examples
    --------
    >>> [assign_device(k, ["cuda:0", "cuda:1"]) for k in range(5)]
    ['cuda:0', 'cuda:1', 'cuda:0', 'cuda:1', 'cuda:0']
    """
    devices = list(devices)
    if not devices:
        raise ValueError(f"devices must not be empty; got devices={devices!r}.")
    if isinstance(index, bool) or int(index) != index or index < 0:
        raise ValueError(f"index must be an integer >= 0; got index={index!r}.")
    return devices[int(index) % len(devices)]


def _is_pool(request) -> bool:
    return isinstance(request, list | tuple)


def needs_slot(request) -> bool:
    """Whether resolving ``request`` depends on the worker's slot."""
    return _is_pool(request) or (isinstance(request, str) and request == "round-robin")


def resolve_device(request, *, slot: int = 0, n_cuda: int = 0):
    """The concrete device a fit should use.

    Parameters
    ----------
    request : None, str, torch.device, list or tuple
        What the user asked for:

        - ``"auto"``: ``"cuda"`` when a CUDA device is visible, else ``"cpu"``;
        - ``"round-robin"``: every visible CUDA device in turn (``"cuda:0"``,
          ``"cuda:1"``, ...) by worker slot, ``"cpu"`` when there is none;
        - a list or tuple of devices: those devices in turn, by worker slot,
          taken literally;
        - anything else (``"cpu"``, ``"cuda:1"``, a ``torch.device``,
          ``None``): returned unchanged, as skorch would use it.
    slot : int, default=0
        This worker's slot (see :func:`worker_slot`); used only by the
        round-robin requests.
    n_cuda : int, default=0
        Number of CUDA devices visible to this process (0 when CUDA is not
        available).

    Returns
    -------
    None, str or torch.device
        The device.

    Raises
    ------
    ValueError
        If a pool is empty or ``n_cuda`` is negative.

    Examples
    --------
    >>> resolve_device("auto", n_cuda=0), resolve_device("auto", n_cuda=2)
    ('cpu', 'cuda')
    >>> [resolve_device("round-robin", slot=k, n_cuda=2) for k in range(3)]
    ['cuda:0', 'cuda:1', 'cuda:0']
    >>> resolve_device("round-robin", slot=3, n_cuda=0)
    'cpu'
    >>> resolve_device(["cuda:2", "cuda:3"], slot=1)
    'cuda:3'
    """
    if isinstance(n_cuda, bool) or int(n_cuda) != n_cuda or n_cuda < 0:
        raise ValueError(f"n_cuda must be an integer >= 0; got n_cuda={n_cuda!r}.")
    if _is_pool(request):
        if not request:
            raise ValueError(
                f"A device pool must list at least one device; got device={request!r}."
            )
        return assign_device(slot, request)
    if isinstance(request, str) and request == "auto":
        return "cuda" if n_cuda > 0 else "cpu"
    if isinstance(request, str) and request == "round-robin":
        if n_cuda == 0:
            return "cpu"
        return assign_device(slot, [f"cuda:{i}" for i in range(int(n_cuda))])
    return request


# --- worker slots --------------------------------------------------------------


class _Slot:
    """A held slot; closing the file descriptor releases its lock."""

    def __init__(self, index: int, fd: int | None):
        self.index = index
        self.fd = fd
        self.pid = os.getpid()

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:  # pragma: no cover - already closed
                pass
            self.fd = None

    def __del__(self):  # the thread (or process) that held it has ended
        if self.pid == os.getpid():
            self.release()


_local = threading.local()
_fallback_lock = threading.Lock()
_fallback_threads: dict[int, int] = {}


def default_slot_dir() -> Path:
    """The per-user directory of slot lock files in the temporary folder."""
    try:
        user = str(os.getuid())
    except AttributeError:  # pragma: no cover - Windows
        user = os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"sk_hpsearch-slots-{user}"


def _claim(directory: Path) -> _Slot | None:
    """Lock the lowest free ``slot-<k>.lock`` of ``directory``; None if impossible."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    for index in range(MAX_SLOTS):
        try:
            fd = os.open(
                directory / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return _Slot(index, fd)
    return None  # pragma: no cover - thousands of live workers


def _fallback_slot() -> _Slot:
    """Process identity and thread order, when file locks are unavailable."""
    identity = multiprocessing.current_process()._identity
    process = identity[-1] - 1 if identity else 0
    if threading.current_thread() is threading.main_thread():
        return _Slot(process, None)
    with _fallback_lock:
        thread = _fallback_threads.setdefault(
            threading.get_ident(), len(_fallback_threads) + 1
        )
    return _Slot(process + thread, None)


def worker_slot(directory: str | os.PathLike | None = None) -> int:
    """This worker's slot: the smallest index no other live worker holds.

    The first call on a thread claims the slot, later calls return it. It is
    held until the thread ends (the process, for the main thread).

    Parameters
    ----------
    directory : str or path-like, default=None
        Where the lock files live; ``None`` uses a per-user folder of the
        temporary directory, shared by every process of the user on this
        machine.

    Returns
    -------
    int
        The slot, >= 0.
    """
    slots = getattr(_local, "slots", None)
    if slots is None:
        slots = _local.slots = {}
    directory = Path(directory) if directory is not None else default_slot_dir()
    key = str(directory)
    slot = slots.get(key)
    if slot is not None and slot.pid != os.getpid():
        # A forked child: close its copy of the parent's lock file (the parent
        # keeps its lock, as flock locks live until every copy is closed) and
        # claim a slot of its own.
        if slot.fd is not None:
            os.close(slot.fd)
        slot = None
    if slot is None:
        slot = _claim(directory) or _fallback_slot()
        slots[key] = slot
    return slot.index
