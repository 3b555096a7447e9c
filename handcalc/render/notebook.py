"""What a Trace, a marked submission and a worksheet show in a notebook (``_repr_html_``,
``_repr_markdown_``): the tables of the HTML and Markdown exports, drawn by their renderers.

A notebook puts every output in one page, so the HTML is a fragment, ``<div class="handcalc">``,
whose style is the export's with each rule scoped to that ``div`` (and the print and page
rules left out): it changes nothing else in the notebook. No JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from handcalc.render import RenderOptions, for_export
from handcalc.render.blocks import CONSTANTS, EXPLAIN, Block, blocks

SCOPE = "handcalc"
OPTIONS = for_export(RenderOptions())  # 3 decimals, as wide as an export


def trace_html(trace) -> str:
    from handcalc.render import html

    return fragment(html.draw(blocks(trace, OPTIONS), OPTIONS), html.STYLE)


def trace_markdown(trace) -> str:
    from handcalc.render import markdown

    return markdown.render(trace, OPTIONS)


def marks_html(marks, trace, ecf: bool = False) -> str:
    from handcalc.render import html

    return fragment(html.draw(_marks_blocks(marks, trace, ecf), OPTIONS), html.STYLE)


def marks_markdown(marks, trace, ecf: bool = False) -> str:
    from handcalc.render import markdown

    return markdown.draw(_marks_blocks(marks, trace, ecf), OPTIONS)


def sheet_html(sheet) -> str:
    from handcalc.render.sheet_html import articles, sheet_style

    return fragment(articles([sheet]), sheet_style())


def sheet_markdown(sheet) -> str:
    from handcalc.render import sheet_markdown

    return sheet_markdown.render([sheet])


def _marks_blocks(marks, trace, ecf: bool) -> Iterator[Block]:
    """The blocks ``check`` prints; a step's counts (``3 right, 1 wrong``) are words under its
    heading, not the constants of its formula."""
    from handcalc.render.marks import blocks as marked

    for block in marked(marks, trace, OPTIONS, ecf):
        yield Block(EXPLAIN, block.text, step=block.step) if block.kind == CONSTANTS else block


def fragment(body: str, style: str) -> str:
    """``body`` in a ``<div class="handcalc">`` with ``style`` scoped to it."""
    return f'<div class="{SCOPE}">\n<style>\n{scoped(style)}\n</style>\n{body}\n</div>'


def scoped(style: str) -> str:
    """Each rule of ``style`` applied inside ``.handcalc`` only (``body`` is the ``div``
    itself); at-rules (``@media print``, ``@page``) are left out: a notebook is a screen."""
    rules = []
    for prelude, declarations in _rules(style):
        if prelude.startswith("@"):
            continue
        selectors = (_scope(selector.strip()) for selector in prelude.split(","))
        rules.append(f"{', '.join(selectors)} {{{declarations}}}")
    return "\n".join(rules)


def _scope(selector: str) -> str:
    if selector == "body" or selector.startswith("body "):
        return f".{SCOPE}{selector[4:]}"
    return f".{SCOPE} {selector}"


def _rules(style: str) -> Iterable[tuple[str, str]]:
    """The top-level rules of a style sheet as (prelude, declarations), nested blocks whole."""
    depth, start, prelude = 0, 0, ""
    for i, char in enumerate(style):
        if char == "{":
            if depth == 0:
                prelude, start = style[start:i].strip(), i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield prelude, style[start:i]
                start = i + 1
