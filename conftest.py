"""Skip the doctests of optional modules whose extra is not installed."""

import importlib.util

collect_ignore = []
if any(importlib.util.find_spec(name) is None for name in ("torch", "skorch")):
    collect_ignore.append("sk_hpsearch/skorch.py")
if importlib.util.find_spec("matplotlib") is None:
    collect_ignore.append("sk_hpsearch/_learning_curves.py")
