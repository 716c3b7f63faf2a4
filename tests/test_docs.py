"""The code of the user guide runs, and the API page lists every public name.

Each ``docs/*.rst`` page runs top to bottom in one namespace, as a reader
would paste it: every ``.. code-block:: python`` block is executed and every
doctest block (``>>>`` lines) is checked against its printed output. A code
block with ``:class: no-test`` is only shown (it needs a cluster, say). The
inline code of every ``.. plot::`` directive (the figures drawn at build
time) runs too, as the directive runs it (in a namespace of its own, or the
one that ``:context:`` keeps from plot to plot), headless, and must draw a
figure unless it has ``:nofigs:``: a broken figure fails here, not only in
the Sphinx build. Pages whose code
imports an optional dependency that is missing (matplotlib, for a page with
figures) are skipped.

The Sphinx build itself (warning-free) is checked by ``.ci/run``.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import re
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

import sk_hpsearch

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
OPTIONAL = ("torch", "skorch", "dask", "distributed", "matplotlib")
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. (?P<name>[\w:-]+)::\s*(?P<arg>.*)$")
_OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):\s*(?P<value>.*)$")
_CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
_PYTHON = ("python", "python3", "py")


@dataclass
class Snippet:
    """One runnable piece of a page: a code block or a doctest block."""

    kind: str  # "code" or "doctest"
    source: str
    lineno: int  # 1-based line of the first source line in the page
    skip: bool = False
    plot: bool = False  # the inline code of a ``.. plot::`` directive
    nofigs: bool = False  # a plot directive that draws no figure
    context: str | None = None  # a plot directive's :context: (None: absent)


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Index after the last line of the block indented deeper than ``indent``."""
    end = start
    for i in range(start, len(lines)):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        end = i + 1
    return end


def extract_snippets(text: str) -> list[Snippet]:
    """The Python code blocks and doctest blocks of an rst page, in order."""
    lines = text.splitlines()
    snippets: list[Snippet] = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if match and match["name"] in (*_CODE_DIRECTIVES, "plot"):
            start, options, name = i + 1, {}, None
            # Options run to the first blank line; a value may go on over
            # more deeply indented lines (a plot's :caption:, say).
            while start < len(lines) and lines[start].strip():
                option = _OPTION.match(lines[start])
                if option:
                    name = option["name"]
                    options[name] = option["value"]
                elif name is None:
                    break
                else:
                    options[name] += " " + lines[start].strip()
                start += 1
            end = _block_end(lines, start, len(match["indent"]))
            while start < end and not lines[start].strip():
                start += 1
            body = "\n".join(lines[start:end]).rstrip() + "\n"
            if match["name"] == "plot":
                # Inline code (the directive's file argument is not used in
                # these pages); code in doctest format is left to the
                # doctest branch below.
                if match["arg"].strip() or ">>>" in body:
                    i += 1
                    continue
                snippets.append(
                    Snippet(
                        "code",
                        textwrap.dedent(body),
                        start + 1,
                        plot=True,
                        nofigs="nofigs" in options,
                        context=options.get("context"),
                    )
                )
            elif match["arg"].strip() in _PYTHON:
                skip = "no-test" in options.get("class", "").split()
                snippets.append(Snippet("code", textwrap.dedent(body), start + 1, skip))
            i = end
        elif lines[i].lstrip().startswith(">>>"):
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            body = textwrap.dedent("\n".join(lines[i:end])) + "\n"
            snippets.append(Snippet("doctest", body, i + 1))
            i = end
        else:  # prose, or another directive whose body may hold doctests
            i += 1
    return snippets


def _imports(source: str, module: str) -> bool:
    return re.search(rf"^\s*(import|from)\s+{module}\b", source, re.M) is not None


@contextlib.contextmanager
def _one_thread(uses_torch: bool) -> Iterator[None]:
    """One BLAS/OpenMP (and torch) thread: tiny fits run many times faster."""
    with threadpool_limits(limits=1):
        if not uses_torch:
            yield
            return
        import torch  # threadpoolctl does not reach torch's own pool

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


@contextlib.contextmanager
def _figures(snippet: Snippet, where: str) -> Iterator[None]:
    """For a plot directive: headless, and it must draw (unless ``:nofigs:``)."""
    if not snippet.plot:
        yield
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    try:
        yield
        assert snippet.nofigs or plt.get_fignums(), (
            f"The plot directive at {where} drew no figure."
        )
    finally:
        plt.close("all")


def run_snippets(name: str, snippets: list[Snippet]) -> None:
    """Run ``snippets`` in order in one namespace; fail on the first error."""
    module = f"docs_{Path(name).stem}"
    namespace: dict = {"__name__": module}
    plot_namespace: dict | None = None
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    for snippet in snippets:
        if snippet.skip:
            continue
        where = f"{name}, line {snippet.lineno}"
        if snippet.kind == "code":
            scope = namespace
            if snippet.plot:  # as the plot directive runs it: apart from the
                # code blocks, in a namespace of its own unless :context:
                # keeps one from plot to plot (``reset`` starts it afresh).
                if snippet.context is None:
                    scope = {"__name__": module}
                else:
                    if plot_namespace is None or "reset" in snippet.context:
                        plot_namespace = {"__name__": module}
                    scope = plot_namespace
            with _figures(snippet, where):
                try:
                    exec(compile(snippet.source, where, "exec"), scope)
                except Exception as exc:
                    what = "plot directive" if snippet.plot else "code block"
                    raise AssertionError(f"The {what} at {where} failed.") from exc
            continue
        test = parser.get_doctest(snippet.source, {}, where, name, snippet.lineno - 1)
        test.globs = namespace  # DocTest copies its globals: share them instead
        report: list[str] = []
        result = runner.run(test, out=report.append, clear_globs=False)
        assert not result.failed, "".join(report)


def test_user_guide_pages_exist():
    names = {p.name for p in PAGES}
    expected = ["index", "install", "scales", "coarse_to_fine", "bayes", "api"]
    assert {f"{page}.rst" for page in expected} <= names


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_page_code_runs(path):
    snippets = extract_snippets(path.read_text(encoding="utf-8"))
    sources = [s.source for s in snippets if not s.skip]
    has_figures = any(s.plot for s in snippets)
    for module in OPTIONAL:
        needed = any(_imports(source, module) for source in sources) or (
            module == "matplotlib" and has_figures
        )
        if needed and importlib.util.find_spec(module) is None:
            pytest.skip(f"{path.name} needs {module}")
    uses_torch = any(_imports(source, "torch") for source in sources)
    # The examples use small n_iter and max_iter to stay fast: the
    # ConvergenceWarnings that follow are expected and not what is tested.
    with _one_thread(uses_torch), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_snippets(path.name, snippets)


def test_api_page_lists_every_public_name():
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = re.findall(r"^\.\. auto\w+:: sk_hpsearch\.(\w+)\s*$", api, re.M)
    assert sorted(documented) == sorted(sk_hpsearch.__all__)


def test_extract_snippets():
    text = textwrap.dedent(
        """\
        Title
        =====

        .. code-block:: python
           :class: no-test

           connect()

        .. code-block:: python

           x = 1
           if x:
               y = 2

        .. code-block:: bash

           pip install sk-hpsearch

        .. note::

           >>> x + y
           3

        .. plot::
           :include-source: false
           :caption: A caption that goes on
              over two lines.

           x, y = 1, 2
           import matplotlib.pyplot as plt
           plt.plot([x, y])

        .. plot::
           :nofigs:

           z = 3
        """
    )
    snippets = extract_snippets(text)
    assert [(s.kind, s.skip, s.lineno, s.plot, s.nofigs) for s in snippets] == [
        ("code", True, 7, False, False),
        ("code", False, 11, False, False),
        ("doctest", False, 21, False, False),
        ("code", False, 29, True, False),
        ("code", False, 36, True, True),
    ]
    assert snippets[1].source == "x = 1\nif x:\n    y = 2\n"
    assert snippets[2].source == ">>> x + y\n3\n"
    assert (
        snippets[3].source
        == "x, y = 1, 2\nimport matplotlib.pyplot as plt\nplt.plot([x, y])\n"
    )
    run_snippets("page.rst", snippets)  # shares x and y between the code blocks


def test_plot_directives_have_their_own_namespace():
    pytest.importorskip("matplotlib")
    draw = "import matplotlib.pyplot as plt\nplt.plot([0, 1])\n"
    shared = [
        Snippet("code", "a = 1\n", 1),
        Snippet("code", "b = 2\n" + draw, 2, plot=True, context="reset"),
        Snippet("code", "assert b == 2\n" + draw, 3, plot=True, context=""),
        Snippet("code", "assert 'b' not in dir()\n" + draw, 4, plot=True),
        Snippet("code", "assert a == 1 and 'b' not in dir()\n", 5),
    ]
    run_snippets("page.rst", shared)
    with pytest.raises(AssertionError, match=r"plot directive at page\.rst, line 2"):
        run_snippets("page.rst", [shared[0], Snippet("code", "a\n", 2, plot=True)])


def test_a_plot_directive_must_draw():
    pytest.importorskip("matplotlib")
    snippets = [Snippet("code", "x = 1\n", 3, plot=True)]
    with pytest.raises(AssertionError, match=r"page\.rst, line 3 drew no figure"):
        run_snippets("page.rst", snippets)


def test_run_snippets_reports_a_wrong_output():
    snippets = [Snippet("doctest", ">>> 1 + 1\n3\n", 1)]
    with pytest.raises(AssertionError, match=r"Expected:\s+3\s+Got:\s+2"):
        run_snippets("page.rst", snippets)
