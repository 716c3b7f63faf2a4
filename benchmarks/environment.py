"""Description of the machine and library versions a benchmark ran with."""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["describe_environment", "source_digest"]

_PACKAGES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "sk-hpsearch",
    "scikit-optimize",
    "optuna",
    "optuna-integration",
    "torch",
    "pandas",
    "threadpoolctl",
    "matplotlib",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit(repo: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "no commit"


def source_digest(package: str) -> str:
    """Return a short SHA-256 of a package's ``.py`` sources, subpackages included.

    It identifies the code that ran even when the working tree has
    uncommitted edits. Each file enters with its path relative to the
    package.

    Parameters
    ----------
    package : str
        Importable package name.

    Returns
    -------
    str
        12 hex digits, or ``"not importable"``.
    """
    try:
        spec = importlib.util.find_spec(package)
    except ImportError:
        return "not importable"
    if spec is None or spec.origin is None:
        return "not importable"
    digest = hashlib.sha256()
    root = Path(spec.origin).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe_environment(argv: list[str] | None = None) -> dict[str, Any]:
    """Return date, command, machine and library versions.

    Parameters
    ----------
    argv : list of str, default=None
        The command-line arguments to record (``sys.argv`` if None).

    Returns
    -------
    dict
        JSON-serialisable description.
    """
    argv = sys.argv if argv is None else argv
    affinity = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "command": "python -m benchmarks " + " ".join(argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "nproc": os.cpu_count(),
        "usable_cpus": affinity,
        "git_commit": _git_commit(Path(__file__).resolve().parent.parent),
        "sk_hpsearch_source_sha256": source_digest("sk_hpsearch"),
        "versions": {p: _version(p) for p in _PACKAGES},
    }
