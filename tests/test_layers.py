"""The package's layers: imports point down only (DESIGN.md, "Layers").

Read from the sources with :mod:`ast`, so the rule holds for imports inside
functions too.
"""

import ast
import sys
from pathlib import Path

import pytest

import sk_hpsearch

PACKAGE = Path(sk_hpsearch.__file__).parent

# Each layer may import itself and the layers listed after it, never one before.
LAYERS = [
    "inspection",
    "search",
    "optimize",
    "loop",
    "strategies",
    "bo",
    "space",
]
# Layers that sit beside one another and must not import each other.
SIBLINGS = {("search", "optimize")}
THIRD_PARTY = {
    "bo": {"numpy", "scipy", "threadpoolctl"},
    "space": {"numpy", "scipy"},
    "strategies": {"numpy", "scipy", "threadpoolctl"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).glob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down(layer):
    above = LAYERS[: LAYERS.index(layer)]
    for path in _modules(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "sk_hpsearch" or len(parts) < 2:
                continue
            target = parts[1]
            assert target not in above, f"{path.name} imports {name} (above {layer})"
            assert (layer, target) not in SIBLINGS and (target, layer) not in SIBLINGS


@pytest.mark.parametrize("layer", sorted(THIRD_PARTY))
def test_lower_layers_import_only_numpy_and_scipy(layer):
    allowed = THIRD_PARTY[layer] | set(sys.stdlib_module_names) | {"sk_hpsearch"}
    for path in _modules(layer):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root in allowed, f"{layer}/{path.name} imports {name}"


def test_every_module_lives_in_a_layer():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "_compat.py", "_devices.py", "skorch.py"}
