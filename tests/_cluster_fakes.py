"""Estimators for the Dask cluster tests: slow fits, a fit that kills workers,
fits logged to a file, and a probe of the device a worker's fit would use."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path

from ._fakes import BudgetClassifier, FunctionClassifier


class SlowClassifier(FunctionClassifier):
    """``FunctionClassifier`` whose fit takes ``delay`` seconds.

    With ``started`` set, the fit creates that file first (a signal to the
    test that fits are running).
    """

    def __init__(self, alpha=1.0, beta=0.5, kind="a", delay=0.2, started=None):
        super().__init__(alpha=alpha, beta=beta, kind=kind)
        self.delay = delay
        self.started = started

    def fit(self, X, y, sample_weight=None):
        if self.started is not None:
            Path(self.started).touch()
        time.sleep(self.delay)
        return super().fit(X, y)


def _count_fit(counter: str) -> int:
    """Add one to the fit counter in file ``counter``; the new count."""
    with open(counter, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        count = len(f.read()) + 1
        f.write("x")
    return count


class WorkerKillingClassifier(BudgetClassifier):
    """``BudgetClassifier`` whose ``kill_at``-th fit kills the worker processes.

    The processes are the ids listed in the file ``pids`` (the Dask workers;
    the one running this fit is killed last). Every worker dies, so the data
    that joblib scattered for the batch in flight is lost, whichever worker
    holds it. Fits are counted in the file ``counter`` across processes; the
    kill happens once.
    """

    def __init__(
        self,
        alpha=1.0,
        beta=0.5,
        kind="a",
        n_steps=27,
        kill_at=None,
        pids=None,
        counter=None,
    ):
        super().__init__(alpha=alpha, beta=beta, kind=kind, n_steps=n_steps)
        self.kill_at = kill_at
        self.pids = pids
        self.counter = counter

    def fit(self, X, y, sample_weight=None):
        time.sleep(0.05)
        if self.kill_at is not None and _count_fit(self.counter) == self.kill_at:
            pids = [int(p) for p in Path(self.pids).read_text().split()]
            for pid in sorted(pids, key=lambda p: p == os.getpid()):
                os.kill(pid, signal.SIGKILL)
        return super().fit(X, y)


def _append(path: str, line: str) -> None:
    """Append ``line`` to ``path`` in one write (atomic across processes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


class LoggedFitClassifier(BudgetClassifier):
    """``BudgetClassifier`` that logs each fit, in whichever process it runs.

    A fit appends ``start`` to the file ``log``, sleeps ``delay`` seconds,
    then appends ``done <alpha> <beta> <kind> <n_steps> <n_samples>``: the
    test sees which fits are running and which completed, across a lost
    cluster and a resume.
    """

    def __init__(self, alpha=1.0, beta=0.5, kind="a", n_steps=27, delay=0.0, log=None):
        super().__init__(alpha=alpha, beta=beta, kind=kind, n_steps=n_steps)
        self.delay = delay
        self.log = log

    def fit(self, X, y, sample_weight=None):
        _append(self.log, "start\n")
        time.sleep(self.delay)
        super().fit(X, y)
        fit = f"{self.alpha!r} {self.beta!r} {self.kind} {self.n_steps} {len(y)}"
        _append(self.log, f"done {fit}\n")
        return self


def logged_fits(log) -> tuple[int, list[str]]:
    """Fits of :class:`LoggedFitClassifier` in ``log``: (started, completed)."""
    lines = Path(log).read_text().splitlines() if Path(log).exists() else []
    done = [line.removeprefix("done ") for line in lines if line != "start"]
    return len(lines) - len(done), done


class DeviceProbe(FunctionClassifier):
    """Records where a skorch net of this worker would fit, and when.

    ``fit`` resolves ``device`` as :class:`sk_hpsearch.skorch.NeuralNetClassifier`
    does, then appends one JSON line to ``log``: the worker's
    ``CUDA_VISIBLE_DEVICES``, the resolved device, the process id and the
    start and end times of a ``delay``-second "training".
    """

    def __init__(
        self, alpha=1.0, beta=0.5, kind="a", device="auto", log=None, delay=0.2
    ):
        super().__init__(alpha=alpha, beta=beta, kind=kind)
        self.device = device
        self.log = log
        self.delay = delay

    def fit(self, X, y, sample_weight=None):
        from sk_hpsearch.skorch import resolve_device

        start = time.time()
        device = str(resolve_device(self.device))
        time.sleep(self.delay)
        record = {
            "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "device": device,
            "pid": os.getpid(),
            "start": start,
            "end": time.time(),
        }
        with open(self.log, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(json.dumps(record) + "\n")
        return super().fit(X, y)


def fake_cuda_devices() -> int:
    """In a Dask worker: torch sees the GPUs named by ``CUDA_VISIBLE_DEVICES``.

    For the tests of GPU placement on machines without a GPU; returns the
    number of devices faked.
    """
    import torch

    n = len(os.environ["CUDA_VISIBLE_DEVICES"].split(","))
    torch.cuda.is_available = lambda: True
    torch.cuda.device_count = lambda: n
    return n
