"""Show Markdown pages as preformatted text when myst-parser is not installed.

A fallback only: with ``pip install myst-parser`` the pages are rendered.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.parsers import Parser


class MarkdownAsText(Parser):
    """Title from the first ``# heading``, the rest as a literal block."""

    supported = ("markdown",)

    def parse(self, inputstring: str, document: nodes.document) -> None:
        lines = inputstring.splitlines()
        title = "Benchmarks"
        for i, line in enumerate(lines):
            if line.startswith("# "):
                title = line[2:].strip()
                lines = lines[:i] + lines[i + 1 :]
                break
        section = nodes.section()
        section["names"].append(nodes.fully_normalize_name(title))
        section += nodes.title(title, title)
        body = "\n".join(lines).strip("\n")
        section += nodes.literal_block(body, body, language="markdown")
        document.note_implicit_target(section, section)
        document += section


def setup(app):
    app.add_source_suffix(".md", "markdown")
    app.add_source_parser(MarkdownAsText)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
