"""The README's two commands and CI agree, and the main job runs."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README must start with a bash block of commands"
    return [line for line in block.group(1).splitlines() if not line.startswith("#")]


def test_readme_starts_with_install_and_test_commands():
    install, test = readme_commands()
    assert install.endswith("python examples/quickstart.py")
    assert "pip install torch==2.13.0 && pip install -e" in install
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_install_and_test_commands():
    install, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    pip_steps = install.split(" && ", 2)[2].rsplit(" && ", 1)[0]
    assert pip_steps in ci
    assert test.split(" && ")[-1] in ci


def test_quickstart_runs(capsys):
    module = runpy.run_path(str(ROOT / "examples" / "quickstart.py"))
    rows = module["main"](["--n-iter", "4"])
    assert {row["search"] for row in rows} >= {
        "RandomizedSearchCV",
        "CoarseToFineSearchCV",
        "GPBayesSearchCV",
    }
    assert all(0.5 < row["test"] <= 1.0 for row in rows)
    assert "best CV acc" in capsys.readouterr().out
