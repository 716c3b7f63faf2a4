"""The checkpoint journal's file format, locking and keys (no search run)."""

from __future__ import annotations

import json
import math
import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import uniform

from sk_hpsearch import CheckpointMismatchError, LogUniform, load_checkpoint
from sk_hpsearch.loop._fingerprint import describe, splits_digest
from sk_hpsearch.loop._journal import (
    Journal,
    decode_floats,
    jsonable,
    jsonable_params,
    key_differences,
    rng_state,
)

ROOT = Path(__file__).resolve().parents[1]
KEY = {"arguments": {"n_points": "1"}, "space": "{'a': uniform}"}


def test_non_finite_numbers_round_trip_through_strict_json():
    value = {"a": [1.0, math.nan, math.inf, -math.inf], "b": np.float32(0.5), "n": 3}
    text = json.dumps(jsonable(value), allow_nan=False)
    back = decode_floats(json.loads(text))
    assert back["a"][0] == 1.0 and math.isnan(back["a"][1])
    assert back["a"][2:] == [math.inf, -math.inf]
    assert back["b"] == 0.5 and back["n"] == 3


def test_params_that_are_not_json_are_written_as_repr():
    params = {"C": np.float64(2.0), "kernel": "rbf", "est": LogUniform(1, 2)}
    assert jsonable_params(params) == {
        "C": 2.0,
        "kernel": "rbf",
        "est": repr(LogUniform(1, 2)),
    }


def test_rng_state_is_json_and_tracks_the_generator():
    rng = np.random.RandomState(0)
    state = rng_state(rng)
    json.dumps(state)
    assert rng_state(np.random.RandomState(0)) == state
    rng.rand()
    assert rng_state(rng) != state


def test_describe_is_the_same_in_another_process():
    code = (
        "from scipy.stats import uniform; from sklearn.svm import SVC;"
        "from sk_hpsearch.loop._fingerprint import describe;"
        "from sk_hpsearch import LogUniform;"
        "print(describe({'a': uniform(0, 2), 'b': LogUniform(1, 10), "
        "'e': SVC(C=3), 'f': len}))"
    )
    from sklearn.svm import SVC

    here = describe(
        {"a": uniform(0, 2), "b": LogUniform(1, 10), "e": SVC(C=3), "f": len}
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    assert here == there
    assert " at 0x" not in here
    assert describe(uniform(0, 2)) != describe(uniform(0, 3))


def test_splits_digest_sees_the_indices():
    a = [(np.arange(5), np.arange(5, 8))]
    b = [(np.arange(5), np.arange(5, 9))]
    assert splits_digest(a) == splits_digest([(list(range(5)), [5, 6, 7])])
    assert splits_digest(a) != splits_digest(b)


def test_key_differences_name_what_changed():
    new = {**KEY, "arguments": {"n_points": "2"}, "data": "x", "splits": "s"}
    old = {**KEY, "data": "y", "splits": "s"}
    changes = key_differences(old, new)
    assert changes == [
        "n_points (was 1, now 2)",
        "the data (X, y or the fit parameters)",
    ]


def test_header_is_written_once_and_checked(tmp_path):
    path = tmp_path / "j.jsonl"
    assert Journal(path, owner="X", key=KEY).open() == []
    assert Journal(path, owner="X", key=KEY).open() == []
    lines = path.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["owner"] == "X"
    other = {**KEY, "space": "{'a': LogUniform}"}
    with pytest.raises(CheckpointMismatchError, match=r"param_distributions \(was"):
        Journal(path, owner="X", key=other).open()
    with pytest.raises(CheckpointMismatchError, match="written by X, not by Y"):
        Journal(path, owner="Y", key=KEY).open()


def _append_many(path: str, writer: int, n: int) -> None:
    journal = Journal(path, owner="X", key=KEY)
    for i in range(n):
        journal.append(
            {
                "kind": "batch",
                "batch": writer * n + i,
                "pad": "x" * 50_000,
                "X": [[0.5]],
                "params": [{"a": 0.5}],
                "scores": [float(i)],
            }
        )


def test_two_processes_appending_never_interleave_lines(tmp_path):
    path = str(tmp_path / "j.jsonl")
    Journal(path, owner="X", key=KEY).open()
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_append_many, args=(path, w, 100)) for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 201
    batches = sorted(json.loads(line).get("batch", -1) for line in lines)
    assert batches == [-1, *range(200)]


def test_torn_last_line_is_ignored_by_readers(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path, owner="X", key=KEY)
    journal.open()
    journal.append(
        {
            "kind": "batch",
            "batch": 0,
            "X": [[0.5]],
            "params": [{"a": 1.5}],
            "scores": [None],
            "columns": {"round": [1]},
        }
    )
    with open(path, "a") as f:
        f.write('{"kind": "batch", "bat')
    with pytest.warns(UserWarning, match="torn line"):
        table = load_checkpoint(path)
    assert table["params"] == [{"a": 1.5}]
    assert math.isnan(table["score"][0])
    with pytest.warns(UserWarning, match="torn line"):
        assert len(Journal(path, owner="X", key=KEY).open()) == 1
    assert path.read_text().endswith("\n")  # cut, so the next line starts clean


def test_load_checkpoint_refuses_other_files(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"a": 1}\n')
    with pytest.raises(ValueError, match="is not an sk_hpsearch checkpoint"):
        load_checkpoint(path)
