"""The warm-start benchmark's report counts what it says it counts."""

from __future__ import annotations

import json

from benchmarks.warm_start import report


def test_report_counts_evaluations_to_reach_the_cold_best(tmp_path, capsys):
    records = [
        # warm reaches the cold final best (0.9) at its 2nd evaluation
        {
            "task": "t",
            "search": "S",
            "seed": 0,
            "cold": [0.5, 0.8, 0.9, 0.7],
            "warm": [0.85, 0.9, 0.6, 0.6],
            "rank_correlation": 0.5,
        },
        # warm never reaches it: counted as n_iter + 1 and as "never"
        {
            "task": "t",
            "search": "S",
            "seed": 1,
            "cold": [0.5, 0.95, 0.9, 0.7],
            "warm": [0.85, 0.9, 0.6, 0.6],
            "rank_correlation": None,
        },
    ]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"n_iter": 4, "records": records}))
    report([str(path)])
    row = capsys.readouterr().out.splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["t", "S", "2", "4"]
    assert cells[4].startswith("3.5 ")  # median of 2 and 5
    assert cells[5] == "1/2"
    assert cells[6] == "1"
    assert cells[9] == "0 / 1 / 1"
    assert cells[10] == "0.50"
