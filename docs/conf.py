"""Sphinx configuration for the sk_hpsearch documentation.

Build (warnings are errors; no network is needed)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import sk_hpsearch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for the local extension _markdown_as_text

project = "sk_hpsearch"
author = "sk_hpsearch developers"
copyright = "sk_hpsearch developers"
release = sk_hpsearch.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",  # only references a URL: builds offline
    "numpydoc",
    # Figures of the user guide, drawn from real runs at build time.
    "matplotlib.sphinxext.plot_directive",
    # examples/ as a gallery: plot_*.py files run at build time.
    "sphinx_gallery.gen_gallery",
]
# No sphinx.ext.intersphinx: the build machines have no network.

# Pages written in Markdown (docs/benchmarks.md, by the benchmark runs) are
# rendered by myst-parser when it is installed, else shown as preformatted text.
if importlib.util.find_spec("myst_parser") is not None:
    extensions.append("myst_parser")
else:
    extensions.append("_markdown_as_text")
# Optional pages join the index's toctree only when they exist, so that the
# build does not warn before they are written (see _add_optional_pages).
OPTIONAL_PAGES = [name for name in ("benchmarks",) if (HERE / f"{name}.md").exists()]

root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
nitpicky = False

# The API page chooses what to show; numpydoc's member tables would repeat
# every method inherited from BaseSearchCV.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"  # the numpydoc Parameters sections give the types
autodoc_member_order = "bysource"

html_theme = "pydata_sphinx_theme"
html_title = f"sk_hpsearch {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_sidebars = {"index": []}
pygments_style = "sphinx"

# The plot directive: headless, PNG only, no links to the scripts.
plot_formats = [("png", 90)]
plot_html_show_formats = False
plot_html_show_source_link = False
plot_rcparams = {"figure.figsize": (7, 4), "figure.autolayout": True}

# Only examples/plot_*.py run at build time (a few seconds each); the others
# (quickstart.py, skorch_mlp.py take minutes) are shown with their code and
# run by the tests (tests/test_readme.py, tests/test_skorch.py).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
}

# Docstrings inherited from scikit-learn (``fit``, and the property summaries
# that numpydoc puts under Attributes) use roles that resolve only inside
# scikit-learn's documentation: its glossary (:term:) and its labels (:ref:).
# They are shown as plain text rather than as broken references.
_SKLEARN_ROLE = re.compile(r":(?:term|ref):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(
            lambda m: f"``{m[2].strip()}``" if m[2] else m[1], line
        )


def _add_optional_pages(app, docname, source):
    """Append the optional pages that exist to the index's toctree, after api."""
    if docname != root_doc or not OPTIONAL_PAGES:
        return
    marker = "\n   api\n"
    entries = "".join(f"   {name}\n" for name in OPTIONAL_PAGES)
    source[0] = source[0].replace(marker, marker + entries, 1)


def setup(app):
    # After numpydoc (priority 500) has expanded the docstrings.
    app.connect("autodoc-process-docstring", _plain_sklearn_roles, priority=600)
    app.connect("source-read", _add_optional_pages)
