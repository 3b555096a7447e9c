"""HTML: one standalone page to open, share or print. Its style is inline and nothing is
loaded from the network; formulas are plain HTML (``K<sup>T</sup>``, ``√``, ``·``, ``−∞``).

Each grid is a ``<table>`` in the by-hand arrangement, one cell per grid cell, each with its
style as a class (name, label, operand, value, masked, sum, rule); colour is a help, never
the only carrier of meaning, and printing needs no backgrounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from html import escape

from handcalc.render import RenderOptions, for_export
from handcalc.render.blocks import CONSTANTS, EXPLAIN, GRID, HEAD, HEADING, NOTE, PICTURE, TITLE, WORK, Block, blocks
from handcalc.render.formulas import html_formula
from handcalc.render.grid import LABEL, NAME, RULE, Cell, Grid, bar_columns, constant_texts, is_rule, shape_text
from handcalc.trace import Trace

STYLE = """
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1a1a1a; max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #1a1a1a; padding-bottom: .3rem; }
h2.head { font-size: 1.3rem; margin-top: 2.5rem; padding: .3rem .6rem; border-left: 6px solid #8a3ab9; }
h3 { font-size: 1.1rem; font-weight: 600; margin: 0 0 .4rem; }
h3 .shape { font-weight: normal; color: #555; font-size: .9rem; margin-left: .6rem; }
section.step { margin: 1.6rem 0; padding-top: .6rem; border-top: 1px solid #ccc; }
var { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 1.1em; }
.word { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 1.05em; }
.radicand { border-top: 1px solid currentColor; padding-top: .05em; }
.constants { font-style: italic; margin: .2rem 0; }
.explain { margin: .3rem 0; max-width: 48rem; }
.note { margin: .3rem 0; font-style: italic; color: #444; }
table.grid { border-collapse: collapse; margin: .6rem 0 .8rem; font-variant-numeric: tabular-nums; }
table.grid td, table.grid th { padding: .12rem .55rem; text-align: right; white-space: pre; }
table.grid .left { text-align: left; }
th.name { color: #8a3ab9; font-weight: 700; }
th.label { color: #1b6f8a; font-weight: normal; font-style: italic; }
td.operand { color: #555; }
td.value { font-weight: 600; }
td.masked { color: #b3261e; }
td.sum { font-weight: 700; background: #fff1c2; }
td.right { color: #1b7f3b; } td.wrong { color: #b3261e; font-weight: 600; } td.carried { color: #a15c00; }
tr.rule td { border-top: 2px solid #444; padding: 0; height: 0; }
td.bar, th.bar { border-left: 2px solid #444; padding: 0; }
table.picture td { font-family: "DejaVu Sans Mono", monospace; text-align: left; }
td.heat1 { background: #eef4ff; } td.heat2 { background: #cfe0ff; }
td.heat3 { background: #a9c6ff; } td.heat4 { background: #82abff; }
pre.work { background: #f6f6f6; padding: .5rem .8rem; margin: .4rem 0; white-space: pre-wrap;
           font: .9rem/1.4 "DejaVu Sans Mono", monospace; }
@media print {
  body { max-width: none; margin: 0; padding: 0; color: #000; font-size: 11pt; }
  * { background: none !important; color: #000 !important; }
  section.step, table.grid, pre.work { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  pre.work { border: 1px solid #999; }
}
""".strip()


def render(trace: Trace, options: RenderOptions) -> str:
    options = for_export(options)
    return page(trace.title, draw(blocks(trace, options), options))


def draw(shown: Iterable[Block], options: RenderOptions) -> str:
    """The blocks as the body of a page: each step a section."""
    body, open_step = [], False
    for block in shown:
        if block.kind in (HEAD, HEADING) and open_step:  # a step's section ends where the next begins
            body.append("</section>")
            open_step = False
        open_step = open_step or block.kind == HEADING
        body.append(_draw(block, options))
    body += ["</section>"] if open_step else []
    return "\n".join(body)


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _draw(block: Block, options: RenderOptions) -> str:
    if block.kind == TITLE:
        return f"<h1>{escape(block.text)}</h1>"
    if block.kind == HEAD:
        return f'<h2 class="head">{escape(block.text)}</h2>'
    if block.kind == HEADING:
        shape = f'<span class="shape">({escape(shape_text(block.step))})</span>'
        return f'<section class="step">\n<h3>{html_formula(block.step.formula)}{shape}</h3>'
    if block.kind == CONSTANTS:
        texts = constant_texts(block.step, options.precision)
        return f'<p class="constants">{",&ensp;".join(map(html_formula, texts))}</p>'
    if block.kind in (GRID, PICTURE):
        return table(block.grid, "grid picture" if block.kind == PICTURE else "grid")
    if block.kind == WORK:
        return f'<pre class="work">{escape(chr(10).join(block.lines))}</pre>'
    if block.kind == NOTE:
        return f'<p class="note"><strong>Note:</strong> {escape(block.text)}</p>'
    assert block.kind == EXPLAIN, block.kind
    return f'<p class="explain">{escape(block.text)}</p>'


def table(grid: Grid, classes: str = "grid") -> str:
    """``grid`` as a table: one cell per grid cell, rules drawn as borders."""
    bars = bar_columns(grid)
    rows = "\n".join(_row(row, bars) for row in grid)
    return f'<table class="{classes}">\n{rows}\n</table>'


def _row(row: list[Cell], bars: set[int]) -> str:
    cells = "".join(_cell(cell, j in bars) for j, cell in enumerate(row))
    return f'<tr class="rule">{cells}</tr>' if is_rule(row) else f"<tr>{cells}</tr>"


@lru_cache(maxsize=4096)  # a table repeats its few distinct cells thousands of times
def _cell(cell: Cell, bar: bool) -> str:
    if bar or cell.style == RULE:
        return '<td class="rule bar"></td>' if bar else '<td class="rule"></td>'
    tag = "th" if cell.style in (NAME, LABEL) else "td"
    classes = cell.style + (" left" if cell.left else "")
    text = html_formula(cell.text.strip()) if cell.style == NAME else escape(cell.text.rstrip())
    return f'<{tag} class="{classes}">{text}</{tag}>'
