"""Markdown for notes and blogs: GitHub-flavoured tables in the by-hand arrangement, and the
formulas as ``$$ … $$`` math (GitHub and MathJax render it; elsewhere it reads as LaTeX).

The first row of a grid is the table's header row, so the right operand of a product still
sits above the result and the left operand beside it; rules become empty cells and a row of
dashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from handcalc.render import RenderOptions, for_export
from handcalc.render.blocks import CONSTANTS, EXPLAIN, GRID, HEAD, HEADING, NOTE, PICTURE, TITLE, WORK, Block, blocks
from handcalc.render.formulas import latex
from handcalc.render.grid import NAME, RULE, SUM, Cell, Grid, bar_columns, constant_texts, heading, shape_text
from handcalc.trace import INPUT, Step, Trace

_SPECIAL = re.compile(r"([\\`*_\[\]<>|$&~#])")  # what Markdown (or a blog's MathJax) would read as markup
RULE_TEXT = "—"


def render(trace: Trace, options: RenderOptions) -> str:
    options = for_export(options)
    return draw(blocks(trace, options), options)


def draw(shown: Iterable[Block], options: RenderOptions) -> str:
    """The blocks as Markdown, a blank line between two."""
    return "\n\n".join(_draw(block, options) for block in shown) + "\n"


def _draw(block: Block, options: RenderOptions) -> str:
    if block.kind == TITLE:
        return f"# {escape(block.text)}"
    if block.kind == HEAD:
        return f"## {escape(block.text)}"
    if block.kind == HEADING:
        return _heading(block.step)
    if block.kind == CONSTANTS:
        return constants_math(block.step, options.precision)
    if block.kind in (GRID, PICTURE):
        return table(block.grid)
    if block.kind == WORK:
        return code(block.lines)
    if block.kind == NOTE:
        return f"> **Note:** {escape(block.text)}"
    assert block.kind == EXPLAIN, block.kind
    return escape(block.text)


def _heading(step: Step) -> str:
    """``### X, given (3×4)`` for an input; ``### Q (2×4)`` and its formula as math for a step."""
    if step.kind == INPUT:
        return f"### {escape(heading(step))}"
    return f"### {escape(step.name)} ({escape(shape_text(step))})\n\n{math(step.formula)}"


def escape(text: str) -> str:
    """Text that Markdown shows as it is: its markup characters backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def math(formula: str) -> str:
    """A formula as display math."""
    return f"$${latex(formula)}$$"


def code(lines: tuple[str, ...]) -> str:
    """Lines as a fenced block, its fence longer than any run of backticks in them."""
    fence = "```"
    while fence in "\n".join(lines):
        fence += "`"
    return "\n".join(("**Work:**", "", fence + "text", *lines, fence))


def table(grid: Grid) -> str:
    """``grid`` as a GitHub table: its first row the header, numbers aligned right."""
    bars = bar_columns(grid)
    rows = [[_cell(cell, j in bars) for j, cell in enumerate(row)] for row in grid]
    align = [_align(column) for column in zip(*grid)]
    return "\n".join(_row(row) for row in (rows[0], align, *rows[1:]))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


@lru_cache(maxsize=4096)  # a table repeats its few distinct cells thousands of times
def _cell(cell: Cell, bar: bool) -> str:
    if cell.style == RULE:
        return "" if bar else RULE_TEXT
    text = escape(cell.text.strip())
    return f"**{text}**" if text and cell.style in (NAME, SUM) else text


def _align(column: tuple[Cell, ...]) -> str:
    if all(cell.style == RULE for cell in column):
        return ":-:"
    return ":--" if any(cell.left for cell in column if cell.text.strip()) else "--:"


def constants_math(step, precision: int) -> str:
    """A step's constants as one line of display math: ``$$d_k = 2,\\quad \\sqrt{d_k} = 1.414$$``."""
    return "$$" + r",\quad ".join(latex(text) for text in constant_texts(step, precision)) + "$$"
