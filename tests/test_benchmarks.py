"""Tests of the benchmark package (``python -m benchmarks``).

One ``--quick`` run (one seed, a few evaluations, two problems, every stage)
writes into a temporary directory; the tests check that it ran and wrote the
report, the raw results and the figures with the expected rows. Peers that are
not installed are skipped. No timing is asserted.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

try:
    import fcntl
except ImportError:  # not POSIX: each xdist worker runs its own quick run
    fcntl = None

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `benchmarks` is a top-level folder, not installed

from benchmarks.cli import build_parser, plan  # noqa: E402
from benchmarks.measures import (  # noqa: E402
    Evaluations,
    best_so_far,
    full_budget_values,
    resources_used,
)
from benchmarks.methods import (  # noqa: E402
    BUDGET,
    METHODS,
    optuna_space,
    sklearn_space,
    skopt_space,
)
from benchmarks.problems import PROBLEMS  # noqa: E402
from benchmarks.reference_botorch import _continuous_bounds, botorch_regret  # noqa: E402
from benchmarks.synthetic import FUNCTIONS, objective_estimator  # noqa: E402

# method -> modules it needs (skipped when one is missing)
REQUIREMENTS = {
    "random": [],
    "skopt": ["skopt"],
    "optuna_tpe": ["optuna", "optuna_integration", "pandas"],
    "optuna_gp": ["optuna", "optuna_integration", "pandas", "torch"],
    "c2f": ["sk_hpsearch:CoarseToFineSearchCV"],
    "gp": ["sk_hpsearch:GPBayesSearchCV"],
}


def _require(requirement: str) -> None:
    module_name, _, attribute = requirement.partition(":")
    module = pytest.importorskip(module_name)
    if attribute and not hasattr(module, attribute):
        pytest.skip(f"{module_name}.{attribute} is not available yet")


def _run_quick(out: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def quick_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``--quick`` run, shared by the pytest-xdist workers (file lock)."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or fcntl is None:
        return _run_quick(tmp_path_factory.mktemp("bench"))
    root = tmp_path_factory.getbasetemp().parent
    out = root / "bench_quick"
    with open(root / "bench_quick.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.md").is_file():
            _run_quick(out)
    return out


def _records(out: Path) -> list[dict]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_quick_writes_report_raw_file_and_figures(quick_dir: Path) -> None:
    for name in ("report.md", "results.jsonl", "environment.json", "curves.png"):
        assert (quick_dir / name).stat().st_size > 0, name
    assert (quick_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (quick_dir / "report.md").read_text()
    for heading in ("### branin", "### enet_diabetes", "## Environment"):
        assert heading in report
    env = json.loads((quick_dir / "environment.json").read_text())
    assert env["nproc"] >= 1 and "scikit-learn" in env["versions"]
    records = _records(quick_dir)
    assert records and all(r["error"] is None for r in records)
    for r in records:
        assert r["n_evals"] == r["n_iter"]
        expected = (
            ("hgb_cancer",) if r["stage"] == "budget" else ("branin", "enet_diabetes")
        )
        assert r["problem"] in expected
        if r["goal"] == "min":
            assert r["final"] >= 0


@pytest.mark.parametrize("method", list(REQUIREMENTS))
def test_quick_has_rows_for_each_installed_method(quick_dir: Path, method: str) -> None:
    for requirement in REQUIREMENTS[method]:
        _require(requirement)
    records = [r for r in _records(quick_dir) if r["method"] == method]
    assert {(r["problem"], r["n_jobs"]) for r in records if r["stage"] == "main"} == {
        ("branin", 1),
        ("enet_diabetes", 1),
    }
    assert any(r["stage"] == "overhead" for r in records)
    assert any(r["n_jobs"] == 2 for r in records)
    report = (quick_dir / "report.md").read_text()
    assert (
        report.count(f"| {METHODS[method].label} |")
        + report.count(f"| **{METHODS[method].label}** |")
        >= 3
    )  # two problems and the parallel table


def test_quick_batch_rows(quick_dir: Path) -> None:
    _require("sk_hpsearch:GPBayesSearchCV")
    records = _records(quick_dir)
    assert {
        r["n_iter"]
        for r in records
        if r["method"] == "gp_q8" and r["options"] == {"n_points": 8}
    } == {6, 12}
    report = (quick_dir / "report.md").read_text()
    batch = report[report.index("## Batch size") :].split("\n## ")[0]
    for n_iter in (6, 12):
        assert f"| branin | {n_iter} | 1 / 1 |" in batch


def test_quick_budget_rows(quick_dir: Path) -> None:
    _require("sk_hpsearch:GPBayesSearchCV")
    records = [r for r in _records(quick_dir) if r["stage"] == "budget"]
    by_method = {r["method"]: r for r in records}
    assert set(by_method) == {
        "random",
        "c2f",
        "gp",
        "c2f_budget",
        "c2f_budget3",
        "gp_budget",
    }
    for name in ("c2f_budget", "c2f_budget3", "gp_budget"):
        budgeted = by_method[name]
        full = by_method[METHODS[name].without_budget]
        assert (
            set(budgeted["options"])
            == set(BUDGET)
            == {"min_resources", "reduction_factor"}
        )
        assert budgeted["n_fits"] > budgeted["n_evals"] == budgeted["n_iter"]
        assert budgeted["resources"] < budgeted["resources_full"]
        assert full["resources"] == full["resources_full"]
        assert budgeted["resources_full"] == full["resources_full"]
        assert 0 <= budgeted["final_sem"] < 0.1
    report = (quick_dir / "report.md").read_text()
    assert "## Learning-curve budgets" in report
    assert "### hgb_cancer: `max_iter` up to 20, n_iter=6" in report


def test_full_budget_values_and_resources_used() -> None:
    evaluations = Evaluations(
        params=[{}] * 5,
        scores=np.array([0.5, 0.6, 0.7, 0.8, 0.9]),
        cv_time=0.0,
        refit_time=1.0,
        n_splits=3,
        n_resources=np.array([1.0, 1.0, 1.0, 3.0, 9.0]),
    )
    values = evaluations.scores
    assert full_budget_values(values, evaluations, "max").tolist() == [
        *[-np.inf] * 4,
        0.9,
    ]
    assert full_budget_values(values, evaluations, "min")[:4].tolist() == [np.inf] * 4
    # 3 folds x (1 + 1 + 1 + 3 + 9) epochs + a 9-epoch refit, against 3 x 3 x 9 + 9
    assert resources_used(evaluations, 9) == (54, 90)
    unbudgeted = Evaluations([{}] * 2, np.array([0.1, 0.2]), 0.0, 0.0, 3)
    assert full_budget_values(unbudgeted.scores, unbudgeted, "max") is unbudgeted.scores
    assert resources_used(unbudgeted, 9) == (54, 54)


def test_plan_runs_budgeted_methods_only_in_the_budget_stage() -> None:
    args = build_parser().parse_args(
        [
            *("--problems", "branin,hgb_cancer", "--seeds", "1", "--real-seeds", "1"),
            *("--stages", "main,budget", "--budget-seeds", "2"),
        ]
    )
    specs = list(plan(args, ["random", "gp", "gp_budget"]))
    main = {(s.problem, s.method) for s in specs if s.stage == "main"}
    assert main == {(p, m) for p in ("branin", "hgb_cancer") for m in ("random", "gp")}
    budget = [
        (s.problem, s.method, s.seed, s.n_iter) for s in specs if s.stage == "budget"
    ]
    assert budget == [
        ("hgb_cancer", m, seed, 27)
        for seed in (0, 1)
        for m in ("random", "gp", "gp_budget")
    ]


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_synthetic_minimum_is_attained_and_estimator_clones(name: str) -> None:
    argmin = {
        "branin": {"x1": np.pi, "x2": 2.275},
        "hartmann6": dict(
            zip(
                [f"x{i}" for i in range(1, 7)],
                [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
                strict=True,
            )
        ),
        "levy10": {f"x{i}": 1.0 for i in range(1, 11)},
        "adam": {"learning_rate": 1e-3, "adam_epsilon": 1e-10, "weight_decay": 1e-4},
        "momentum": {"learning_rate": 10**-3.5, "momentum": 1 - 10**-2.5},
        "mlp": {
            "learning_rate": 1e-3,
            "hidden_units": 256,
            "activation": "relu",
            "alpha": 1e-4,
        },
    }[name]
    function = FUNCTIONS[name]
    assert function.regret(argmin) == pytest.approx(0, abs=1e-5)
    estimator = objective_estimator(function)(**argmin)
    assert clone(estimator).get_params() == estimator.get_params()
    assert estimator.fit(None).score(None) == pytest.approx(-function.f_min, abs=1e-5)


def test_space_translations_keep_scales() -> None:
    from scipy import stats

    space = PROBLEMS["mlp_digits"].space
    sk = sklearn_space(space)
    assert isinstance(sk["activation"], list)
    assert isinstance(sk["learning_rate_init"].dist, type(stats.loguniform))
    assert isinstance(sk["beta_1"].dist, type(stats.uniform))  # as a user writes
    pytest.importorskip("skopt")
    assert skopt_space(space)["hidden_layer_sizes"].prior == "log-uniform"
    pytest.importorskip("optuna")
    assert optuna_space(space)["alpha"].log


def test_best_so_far() -> None:
    values = np.array([3.0, 1.0, 2.0, 0.5])
    assert best_so_far(values, "min").tolist() == [3.0, 1.0, 1.0, 0.5]
    assert best_so_far(values, "max").tolist() == [3.0, 3.0, 3.0, 3.0]


def test_plan_caps_seeds_and_reuses_keys() -> None:
    args = build_parser().parse_args(
        [
            *("--problems", "branin,svc_digits", "--seeds", "3", "--real-seeds", "2"),
            *("--cap", "skopt=1", "--stages", "main"),
        ]
    )
    specs = list(plan(args, ["random", "skopt"]))
    counts = {
        (p, m): sum(1 for s in specs if (s.problem, s.method) == (p, m))
        for p in ("branin", "svc_digits")
        for m in ("random", "skopt")
    }
    assert counts == {
        ("branin", "random"): 3,
        ("branin", "skopt"): 1,
        ("svc_digits", "random"): 2,
        ("svc_digits", "skopt"): 1,
    }
    assert len({s.key for s in specs}) == len(specs)


def test_botorch_reference_rejects_non_linear_spaces() -> None:
    with pytest.raises(ValueError, match="'learning_rate' is float on a log scale"):
        _continuous_bounds(FUNCTIONS["adam"])


@pytest.mark.parametrize("q", [1, 2])
def test_botorch_reference_improves_on_its_initial_design(q: int) -> None:
    pytest.importorskip("botorch")
    function = FUNCTIONS["branin"]
    initial = botorch_regret(function, q, seed=0, n_iter=5)  # the design alone
    regret = botorch_regret(function, q, seed=0, n_iter=9)
    assert 0.0 <= regret <= initial


def test_source_digest_covers_subpackages(tmp_path: Path, monkeypatch) -> None:
    """A change in a subpackage's module changes the digest (it once hashed
    only the top-level modules, so runs with different strategies shared one)."""
    from benchmarks.environment import source_digest

    package = tmp_path / "digest_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    module = package / "sub" / "_strategy.py"
    module.write_text("SHARE = 0.1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = source_digest("digest_pkg")
    module.write_text("SHARE = 0.2\n")
    assert source_digest("digest_pkg") != before
    assert len(before) == 12


def test_run_all_in_worker_processes_matches_one_process(tmp_path: Path) -> None:
    from benchmarks.runner import RunSpec, load_records, run_all

    specs = [
        RunSpec("main", "branin", m, s, 6) for s in (0, 1) for m in ("random", "gp")
    ]
    serial = run_all(specs, tmp_path / "serial", log=io.StringIO())
    pooled = run_all(specs, tmp_path / "pooled", log=io.StringIO(), processes=2)

    def values(records):
        return {(r["method"], r["seed"]): r["values"] for r in records}

    assert len(pooled) == len(specs)
    assert values(pooled) == values(serial)
    assert values(load_records(tmp_path / "pooled" / "results.jsonl")) == values(serial)
    # recorded runs are not run again, however many processes
    assert run_all(specs, tmp_path / "pooled", processes=2) == []


def test_processes_must_be_positive(tmp_path: Path) -> None:
    from benchmarks.cli import main
    from benchmarks.runner import RunSpec, run_all

    with pytest.raises(ValueError, match="processes must be at least 1, got 0"):
        run_all([RunSpec("main", "branin", "random", 0, 3)], tmp_path, processes=0)
    assert main(["--processes", "0", "--out", str(tmp_path / "cli")]) == 2
    assert not (tmp_path / "cli").exists()
