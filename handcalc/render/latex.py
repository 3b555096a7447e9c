"""LaTeX for notes: a fragment that compiles unchanged inside a standard ``article`` document
with ``amsmath``. Each step is its formula set equal to a ``bmatrix`` of its values; a
product (and the sums) is also drawn by hand, as an ``array`` with its rules.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from handcalc.render import RenderOptions
from handcalc.render.blocks import CONSTANTS, EXPLAIN, GRID, HEAD, HEADING, NOTE, PICTURE, TITLE, WORK, Block, blocks
from handcalc.render.formulas import WORDS, latex, pieces, text_latex
from handcalc.render.grid import (
    LABEL,
    NAME,
    RULE,
    SUM,
    Cell,
    Grid,
    bar_columns,
    constant_texts,
    is_rule,
    line_width,
    shape_text,
    value_grid,
)
from handcalc.steps import short
from handcalc.trace import Step, Trace

HEADER = (
    "% Written by handcalc: a fragment to \\input into a standard article document.\n"
    "% It needs \\usepackage{amsmath} in the preamble and nothing else (token names beyond\n"
    "% Latin-1, such as CJK, need XeLaTeX or LuaLaTeX)."
)
FULL_HEADER = "\n% With --full, a table wider than the text is scaled to it: it needs \\usepackage{graphicx} too."
# The width, in characters of the text layout, that a standard article's text width holds in
# math (345 pt; a digit and the column gap about 5 pt each): larger tables are elided to it.
LATEX_WIDTH = 64
MAX_MATRIX_COLUMNS = 10  # amsmath's bmatrix takes at most 10 columns unless told otherwise
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")  # a number as format_number writes most: the same in LaTeX
_MATHLIKE = re.compile(r"[-−]?(?:\d[\d.]*(?:e[+-]?\d+)?|\d+/\d+|∞)|[⋯⋮⋱]")  # numbers, fractions, −∞, elisions


def render(trace: Trace, options: RenderOptions) -> str:
    options = replace(options, width=LATEX_WIDTH)
    parts = [_draw(block, trace, options) for block in blocks(trace, options)]
    return "\n\n".join((HEADER + (FULL_HEADER if options.full else ""), *parts)) + "\n"


def _draw(block: Block, trace: Trace, options: RenderOptions) -> str:
    if block.kind == TITLE:  # the layout under the title, so that a long title breaks between words
        name, _, layout = block.text.partition("  (")
        under = f"\n\\emph{{({text_latex(layout)}}}" if layout else ""
        return rf"\section*{{{text_latex(name)}}}" + under
    if block.kind == HEAD:
        return rf"\subsection*{{{text_latex(block.text)}}}"
    if block.kind == HEADING:
        step = block.step
        return rf"\subsubsection*{{${latex(step.formula)}$\quad ({text_latex(shape_text(step))})}}"
    if block.kind == CONSTANTS:
        return display(r",\quad ".join(latex(text) for text in constant_texts(block.step, options.precision)))
    if block.kind == GRID:  # the matrix and its by-hand array in one display: never a page apart
        matrix = _equals(block.step, trace, options)
        if not _has_rules(block.grid):
            return display(matrix)
        by_hand = _fitted(array(block.grid), block.grid, options.full)
        return display(f"\\begin{{gathered}}\n{matrix} \\\\[1.5ex]\n{by_hand}\n\\end{{gathered}}")
    if block.kind == PICTURE:
        return display(_fitted(array(block.grid), block.grid, options.full))
    if block.kind == WORK:
        items = "\n".join(rf"  \item ${latex(line)}$" for line in block.lines if line.strip())
        return f"\\paragraph{{Work.}}\n\\begin{{itemize}}\n{items}\n\\end{{itemize}}"
    if block.kind == NOTE:
        return rf"\emph{{Note:}} {text_latex(block.text)}"
    assert block.kind == EXPLAIN, block.kind
    return text_latex(block.text)


def display(body: str) -> str:
    return f"\\[\n{body}\n\\]"


def _equals(step: Step, trace: Trace, options: RenderOptions) -> str:
    """``formula = [values]`` where the formula is all mathematics, else ``name = [values]``."""
    left = step.formula if not any(piece.kind == WORDS for piece in pieces(step.formula)) else short(step.name)
    grid = value_grid(step, trace.layout, options.precision, options.width - len(left) - 5, options.full)  # beside "left ="
    return _fitted(f"{latex(left)} = {bmatrix([row[1:] for row in grid[1:]])}", grid, options.full, len(left) + 3)


def _fitted(math: str, grid: Grid, full: bool, extra: int = 0) -> str:
    """``math`` as it is (elided to the text width), or, with --full where ``grid`` is wider
    than the text, scaled down to it."""
    if not full or line_width(grid) + extra <= LATEX_WIDTH:
        return math
    return f"\\resizebox{{\\linewidth}}{{!}}{{$\\displaystyle {math}$}}"


def bmatrix(cells: Grid) -> str:
    """The cells as a ``bmatrix``, numbers aligned right (or a bracketed ``array`` when too
    wide for one)."""
    ragged = {j for j, column in enumerate(zip(*cells)) if len({len(cell.text) for cell in column}) > 1}
    body = " \\\\\n".join(" & ".join(_right(_math(cell), j in ragged) for j, cell in enumerate(row)) for row in cells)
    if len(cells[0]) <= MAX_MATRIX_COLUMNS:
        return f"\\begin{{bmatrix}}\n{body}\n\\end{{bmatrix}}"
    return f"\\left[\\begin{{array}}{{{'r' * len(cells[0])}}}\n{body}\n\\end{{array}}\\right]"


def _right(math: str, ragged: bool) -> str:
    """A cell of a bmatrix (whose columns are centred) pushed right where the widths differ."""
    return rf"\hfill {math}" if ragged and math else math


def array(grid: Grid) -> str:
    """``grid`` as an ``array``: its vertical rules in the column spec, its rules as ``\\hline``."""
    bars = bar_columns(grid)
    columns = [j for j in range(len(grid[0])) if j not in bars]
    spec = "".join("|" if j in bars else "l" if _left(grid, j) else "r" for j in range(len(grid[0])))
    lines, rule = [], ""
    for row in grid:
        if is_rule(row):
            rule = r"\hline "
            continue
        lines.append(rule + " & ".join(_math(row[j]) for j in columns))
        rule = ""
    return f"\\begin{{array}}{{{spec}}}\n" + " \\\\\n".join(lines) + "\n\\end{array}"


def _has_rules(grid: Grid) -> bool:
    return any(map(is_rule, grid)) or bool(bar_columns(grid))


def _left(grid: Grid, j: int) -> bool:
    return any(row[j].left for row in grid if row[j].text.strip())


def _math(cell: Cell) -> str:
    """A cell in math mode: names and numbers as mathematics, labels and the rest as text."""
    return _math_of(cell.text, cell.style)


@lru_cache(maxsize=4096)  # a table repeats its few distinct cells thousands of times
def _math_of(written: str, style: str) -> str:
    text = written.strip()
    if not text or style == RULE:
        return ""
    if style == NAME or _MATHLIKE.fullmatch(text):
        math = text if _DECIMAL.fullmatch(text) else latex(text)
        math = re.sub(r"(\d+)/(\d+)", r"\\tfrac{\1}{\2}", math)  # an exact 9/13 as a fraction
        return rf"\mathbf{{{math}}}" if style == SUM else math
    return rf"\text{{{text_latex(text if style == LABEL else written)}}}"
