"""How a worksheet's tables are cut to fit its pages, for the printed formats (Typst/PDF).

The page is chosen once per document (:func:`choose_page`): its boxes as wide as the widest
answer needs by pen (negatives and exact fractions included), wider when the page has room,
never narrower than :data:`BOX_MIN` — a table that does not fit is cut, never shrunk.

:func:`pieces` cuts a grid into blocks that each fit the text area: the columns of a block
are its grid's head columns (the row labels, and a product's left operand) and a run of
the other columns; its rows likewise (the column labels, and a product's right operand).
So every block repeats its labels, and every cell is in exactly one block. A product whose
operands alone would not leave room for its result is drawn without them
(:func:`fits_by_hand`). All lengths are in cm, estimated on the high side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from handcalc.render.grid import MASKED, OPERAND, SUM, VALUE, Grid, bar_columns, is_rule

PAPERS = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}  # cm, portrait
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 1.5, 1.7, 1.5  # cm
BOX_MIN = (1.2, 0.8)  # cm: the least box "−0.414" is written in by pen, width × height
BOX_ROOMY = 2.0  # cm: the widest a box grows to where the page has room
PEN = 0.19  # cm: a handwritten character, and the room around it in a box
PEN_PAD = 0.2
CHAR = 0.18  # cm: a printed character of a label or a given number (on the high side)
CHAR_PAD = 0.3  # cm: the insets of a column of labels or given numbers
LINE = 0.6  # cm: a row of labels or of given numbers
HEADING = 1.0  # cm: a step's formula above its first block
CAPTION = 0.6  # cm: the "continued" line above each later block
AT_LEAST = 4  # the rows and columns of a product's result each block shows, at the least
BOX_STYLES = ("answer", "copy", "prefilled")  # drawn as boxes (render.sheet's cell styles)
NUMBER_STYLES = (VALUE, OPERAND, MASKED, SUM, *BOX_STYLES)


@dataclass(frozen=True)
class Page:
    """The page every sheet of a document is set on: paper, orientation, box width (cm)."""

    paper: str
    landscape: bool
    box: float

    @property
    def text_width(self) -> float:
        width, height = PAPERS[self.paper]
        return (height if self.landscape else width) - 2 * MARGIN_X

    @property
    def text_height(self) -> float:
        """The height a block may take: the page less its margins (header and footer are in them)."""
        width, height = PAPERS[self.paper]
        return (width if self.landscape else height) - MARGIN_TOP - MARGIN_BOTTOM

    @property
    def box_height(self) -> float:
        return BOX_MIN[1]

    @property
    def room(self) -> float:
        """The height of a block's table: the text height less a heading or caption above it."""
        return self.text_height - max(HEADING, CAPTION) - 0.4


def pen_width(chars: int) -> float:
    """The width of a box that takes ``chars`` handwritten characters (at least ``BOX_MIN``)."""
    return max(BOX_MIN[0], math.ceil((PEN * chars + PEN_PAD) * 100 - 1e-9) / 100)


def choose_page(grids: Sequence[Grid], answer_chars: int, paper: str) -> Page:
    """Portrait if every grid fits its width with boxes for ``answer_chars`` characters, else
    landscape; the boxes then as wide as the widest grid allows, up to :data:`BOX_ROOMY`."""
    need = pen_width(answer_chars)
    for landscape in (False, True):
        fits = [_box_fitting(grid, Page(paper, landscape, need).text_width) for grid in grids]
        if all(box >= need for box in fits) or landscape:
            roomy = min([BOX_ROOMY, *fits])
            return Page(paper, landscape, math.floor(max(need, roomy) * 100 + 1e-9) / 100)  # in whole mm/10, never over
    raise AssertionError("unreachable")


def _box_fitting(grid: Grid, text_width: float) -> float:
    """The widest box with which ``grid`` fits ``text_width`` whole."""
    kinds = column_kinds(grid)
    lines = _lines(grid)
    boxes = kinds.count("box")
    fixed = sum(_label_width(lines, j) for j, kind in enumerate(kinds) if kind == "auto")
    return (text_width - fixed) / max(1, boxes)


def _lines(grid: Grid) -> list:
    """The rows of ``grid`` that are not rules."""
    return [row for row in grid if not is_rule(row)]


def column_kinds(grid: Grid) -> list[str]:
    """Each column of ``grid``: ``box`` (numbers), ``auto`` (labels, names) or ``bar`` (a rule)."""
    bars = bar_columns(grid)
    numbers = set()  # the columns with a number in some line
    for row in _lines(grid):
        numbers.update(j for j, cell in enumerate(row) if cell.style in NUMBER_STYLES)
    return ["bar" if j in bars else "box" if j in numbers else "auto" for j in range(len(grid[0]))]


def _label_width(lines: list, j: int) -> float:
    """The width of column ``j`` of the ``lines`` of a grid: its widest text."""
    return CHAR_PAD + CHAR * max((len(row[j].text.strip()) for row in lines), default=0)


def column_widths(grid: Grid, page: Page, given: bool) -> list[float]:
    """Each column's width: a box, a rule (none), or its widest text (all text when ``given``)."""
    lines = _lines(grid)
    widths = []
    for j, kind in enumerate(column_kinds(grid)):
        if kind == "bar":
            widths.append(0.0)
        elif kind == "box" and not given:
            widths.append(page.box)
        else:
            widths.append(_label_width(lines, j))
    return widths


def row_heights(grid: Grid, page: Page, given: bool) -> list[float]:
    """Each row's height: a row with boxes, a rule (none), or a line of text."""
    heights = []
    for row in grid:
        if is_rule(row):
            heights.append(0.0)
        elif not given and any(cell.style in BOX_STYLES for cell in row):
            heights.append(page.box_height)
        else:
            heights.append(LINE)
    return heights


def heads(grid: Grid) -> tuple[list[int], list[int]]:
    """The rows and columns every block repeats: a product's right operand and column labels,
    its row labels and left operand (up to its rules); else the first row and column."""
    bars = sorted(bar_columns(grid))
    rules = [i for i, row in enumerate(grid) if is_rule(row)]
    if bars and rules and rules[0] + 1 < len(grid):  # C = L · R: rules cross under R, beside L
        return list(range(rules[0] + 2)), list(range(bars[0] + 1))
    return [0], [0]


def fits_by_hand(grid: Grid, page: Page, given: bool = False) -> bool:
    """Whether the repeated head of ``grid`` leaves room beside and under it for a few
    (:data:`AT_LEAST`) of the cells it labels (else a product is drawn without its operands)."""
    head_rows, head_cols = heads(grid)
    widths, heights = column_widths(grid, page, given), row_heights(grid, page, given)
    body_cols = [widths[j] for j in range(len(widths)) if j not in head_cols][:AT_LEAST]
    body_rows = [heights[i] for i in range(len(heights)) if i not in head_rows][:AT_LEAST]
    return (
        sum(widths[j] for j in head_cols) + sum(body_cols) <= page.text_width
        and sum(heights[i] for i in head_rows) + sum(body_rows) <= page.room
    )


def pieces(grid: Grid, page: Page, given: bool = False) -> list[Grid]:
    """``grid`` cut into blocks that each fit ``page`` (see the module's docstring), in
    reading order: left to right, then top to bottom. A grid that fits is one block."""
    return [[[grid[i][j] for j in cols] for i in rows] for rows, cols in cuts(grid, page, given)]


def cuts(grid: Grid, page: Page, given: bool = False) -> list[tuple[list[int], list[int]]]:
    """The rows and columns of ``grid`` that each block of :func:`pieces` holds."""
    head_rows, head_cols = heads(grid)
    widths, heights = column_widths(grid, page, given), row_heights(grid, page, given)
    col_runs = _runs(
        _units(range(len(grid[0])), head_cols, lambda j: widths[j] == 0), widths, page.text_width - sum(widths[j] for j in head_cols)
    )
    row_runs = _runs(_units(range(len(grid)), head_rows, lambda i: heights[i] == 0), heights, page.room - sum(heights[i] for i in head_rows))
    return [([*head_rows, *rows], [*head_cols, *cols]) for rows in row_runs for cols in col_runs]


def _units(indices: Iterable[int], head: list[int], is_rule_line) -> list[list[int]]:
    """The indices after the head, a rule kept with the line after it (the Σ under its rule)."""
    units: list[list[int]] = []
    pending: list[int] = []
    for k in indices:
        if k in head:
            continue
        pending.append(k)
        if not is_rule_line(k):
            units.append(pending)
            pending = []
    if pending:  # a rule at the very end stays with the last line
        if units:
            units[-1] += pending
        else:
            units.append(pending)
    return units


def _runs(units: list[list[int]], sizes: Sequence[float], room: float) -> list[list[int]]:
    """``units`` in as few runs as fit ``room`` (at least one unit a run), as even as they go."""
    if not units:
        return [[]]
    size = [sum(sizes[k] for k in unit) for unit in units]
    greedy = _greedy(size, room)
    per = math.ceil(len(units) / len(greedy))
    even = [range(k, min(k + per, len(units))) for k in range(0, len(units), per)]
    fits = len(even) == len(greedy) and all(len(run) == 1 or sum(size[u] for u in run) <= room for run in even)
    return [[k for u in run for k in units[u]] for run in (even if fits else greedy)]


def _greedy(size: list[float], room: float) -> list[range]:
    """Runs of unit indices, each filled as far as ``room`` allows."""
    runs, start, used = [], 0, 0.0
    for u, s in enumerate(size):
        if u > start and used + s > room:
            runs.append(range(start, u))
            start, used = u, 0.0
        used += s
    return [*runs, range(start, len(size))]
