"""Device requests, round-robin assignment and worker slots (no torch needed)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sk_hpsearch._devices import (
    assign_device,
    default_slot_dir,
    needs_slot,
    resolve_device,
    worker_slot,
)

DEVICES_PY = Path(__file__).resolve().parents[1] / "sk_hpsearch" / "_devices.py"


def test_import_sk_hpsearch_imports_no_torch_skorch_or_matplotlib():
    code = (
        "import sys, sk_hpsearch; "
        "print(sorted(m for m in ('torch', 'skorch', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_devices_module_imports_no_torch():
    code = (
        "import sys, importlib.util as u; "
        f"spec = u.spec_from_file_location('_devices', {str(DEVICES_PY)!r}); "
        "m = u.module_from_spec(spec); spec.loader.exec_module(m); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, "cuda:0"), (1, "cuda:1"), (2, "cuda:2"), (3, "cuda:0"), (7, "cuda:1")],
)
def test_assign_device_is_round_robin(index, expected):
    assert assign_device(index, ["cuda:0", "cuda:1", "cuda:2"]) == expected


def test_assign_device_balances_consecutive_slots():
    devices = ("cuda:0", "cuda:1")
    counts = [assign_device(k, devices) for k in range(10)]
    assert counts.count("cuda:0") == counts.count("cuda:1") == 5


@pytest.mark.parametrize(
    ("index", "devices", "match"),
    [
        (0, [], "devices must not be empty"),
        (-1, ["cpu"], "index must be an integer >= 0"),
        (1.5, ["cpu"], "index must be an integer >= 0"),
        (True, ["cpu"], "index must be an integer >= 0"),
    ],
)
def test_assign_device_rejects_bad_arguments(index, devices, match):
    with pytest.raises(ValueError, match=match):
        assign_device(index, devices)


@pytest.mark.parametrize(
    ("request_", "slot", "n_cuda", "expected"),
    [
        ("auto", 0, 0, "cpu"),
        ("auto", 5, 1, "cuda"),
        ("auto", 0, 4, "cuda"),
        ("round-robin", 0, 0, "cpu"),
        ("round-robin", 3, 0, "cpu"),
        ("round-robin", 0, 1, "cuda:0"),
        ("round-robin", 1, 1, "cuda:0"),
        ("round-robin", 1, 2, "cuda:1"),
        ("round-robin", 2, 2, "cuda:0"),
        ("round-robin", 5, 4, "cuda:1"),
        (["cuda:2", "cuda:3"], 0, 0, "cuda:2"),
        (["cuda:2", "cuda:3"], 3, 8, "cuda:3"),
        (("cpu",), 9, 0, "cpu"),
        ("cpu", 3, 2, "cpu"),
        ("cuda:1", 0, 0, "cuda:1"),
        ("mps", 0, 0, "mps"),
        (None, 0, 2, None),
    ],
)
def test_resolve_device(request_, slot, n_cuda, expected):
    assert resolve_device(request_, slot=slot, n_cuda=n_cuda) == expected


def test_resolve_device_passes_other_objects_through_unchanged():
    device = object()  # e.g. a torch.device
    assert resolve_device(device, slot=1, n_cuda=2) is device


@pytest.mark.parametrize(
    ("request_", "n_cuda", "match"),
    [
        ([], 0, "A device pool must list at least one device"),
        ((), 2, "A device pool must list at least one device"),
        ("auto", -1, "n_cuda must be an integer >= 0"),
        ("auto", 1.5, "n_cuda must be an integer >= 0"),
    ],
)
def test_resolve_device_rejects_bad_arguments(request_, n_cuda, match):
    with pytest.raises(ValueError, match=match):
        resolve_device(request_, n_cuda=n_cuda)


def test_needs_slot():
    assert needs_slot("round-robin") and needs_slot(["cpu"]) and needs_slot(("a",))
    assert not any(needs_slot(r) for r in ("auto", "cpu", "cuda", None))


def test_default_slot_dir_is_per_user_in_tmp():
    path = default_slot_dir()
    assert path.name.startswith("sk_hpsearch-slots-")


def test_worker_slot_is_stable_within_a_thread(tmp_path):
    first = worker_slot(tmp_path)
    assert worker_slot(tmp_path) == first
    assert first >= 0


def _slots_of_threads(directory, n: int) -> list[int]:
    """Slots of ``n`` threads alive at the same time."""
    barrier = threading.Barrier(n)
    slots: list[int] = [-1] * n

    def run(i):
        slots[i] = worker_slot(directory)
        barrier.wait(timeout=10)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return slots


@pytest.mark.skipif(os.name != "posix", reason="file-lock slots are POSIX")
def test_concurrent_threads_get_distinct_dense_slots_released_at_exit(tmp_path):
    main = worker_slot(tmp_path)  # the main thread keeps its slot
    slots = _slots_of_threads(tmp_path, 4)
    assert sorted(slots) == sorted(set(range(5)) - {main})
    # Those threads have ended: their slots are free again.
    assert sorted(_slots_of_threads(tmp_path, 2)) == sorted(set(range(3)) - {main})[:2]


_CHILD = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("_devices", sys.argv[1])
    devices = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(devices)
    print(devices.worker_slot(sys.argv[2]), flush=True)
    sys.stdin.read()  # hold the slot until the parent closes stdin
    """
)


def _child(directory) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(DEVICES_PY), str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(os.name != "posix", reason="file-lock slots are POSIX")
def test_live_processes_get_distinct_slots_freed_when_they_end(tmp_path):
    children = [_child(tmp_path) for _ in range(3)]
    try:
        slots = [int(c.stdout.readline()) for c in children]
        assert sorted(slots) == [0, 1, 2]
        assert [assign_device(s, ["cuda:0", "cuda:1"]) for s in sorted(slots)] == [
            "cuda:0",
            "cuda:1",
            "cuda:0",
        ]
        ended = children.pop(slots.index(1))
        ended.stdin.close()
        ended.wait(timeout=30)
        late = _child(tmp_path)
        children.append(late)
        assert int(late.stdout.readline()) == 1  # the lowest free slot
    finally:
        for c in children:
            if c.stdin and not c.stdin.closed:
                c.stdin.close()
            c.wait(timeout=30)


def test_worker_slots_of_loky_workers_are_distinct():
    from joblib import Parallel, delayed

    def slot_of_worker(pause):
        time.sleep(pause)
        return os.getpid(), worker_slot()

    pairs = Parallel(n_jobs=2, backend="loky")(
        delayed(slot_of_worker)(0.2) for _ in range(6)
    )
    by_pid = dict(pairs)
    assert len(set(by_pid.values())) == len(by_pid)  # one slot per live worker


def test_fallback_without_file_locks(monkeypatch, tmp_path):
    devices = _load_devices_copy()
    monkeypatch.setattr(devices, "fcntl", None)
    assert devices.worker_slot(tmp_path) == 0  # main thread, main process
    seen = []
    thread = threading.Thread(target=lambda: seen.append(devices.worker_slot(tmp_path)))
    thread.start()
    thread.join()
    assert seen == [1]


def _load_devices_copy():
    """A private copy of the module (its per-thread slots start empty)."""
    spec = importlib.util.spec_from_file_location("_devices_copy", DEVICES_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
