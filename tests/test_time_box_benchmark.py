"""The time-box benchmark: a boxed run and the same search knowing its end."""

from __future__ import annotations

import json

from benchmarks.time_box import main, run_one


def test_a_boxed_run_stops_on_its_box_and_a_known_one_on_n_iter(tmp_path):
    boxed = run_one("branin", 0, max_time=1.0, fit_seconds=0.002)
    assert boxed["stop"] == "max_time" and 5 < boxed["n"] < 10_000
    assert min(boxed["regret"]) == boxed["final"] >= 0
    known = run_one("branin", 0, max_time=None, fit_seconds=0.0, n_iter=7)
    assert known["stop"] == "n_iter" and known["n"] == 7


def test_the_cli_runs_both_arms_and_reports(tmp_path, capsys):
    out = tmp_path / "box.jsonl"
    common = ["--out", str(out), "--problems", "branin", "--seeds", "1"]
    main(["run", *common, "--tag", "boxed", "--max-time", "0.5"])
    main(["run", *common, "--tag", "known", "--n-iter-from", str(out)])
    boxed, known = [json.loads(line) for line in out.read_text().splitlines()]
    assert known["n_iter"] == known["n"] == boxed["n"]
    main(["report", str(out)])
    assert "| branin |" in capsys.readouterr().out
