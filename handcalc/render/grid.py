"""The by-hand arrangement of a step as a grid of cells, shared by the text formats.

A product ``C = L · R`` is drawn as on paper: ``R`` above ``C``, ``L`` to the left of it,
so that row i of ``L`` and column j of ``R`` meet at cell (i, j) of ``C``::

                 X │ x1  x2  x3  x4
                   │  1   0   1   0
    ───────────────┼────────────────
    W_q          Q │ q1  q2  q3  q4
      1   0   1    │  2   1   2   1

The softmax sums are written under the exponentials (beside them in the rows layout).
Large matrices are elided in the middle with ⋯ unless the full view is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from handcalc.numbers import ELLIPSIS, NEG_INF, format_number, format_numbers, format_shape
from handcalc.steps import AXIS_WORD, Ref, short
from handcalc.trace import PRODUCT, SUMS, Step, Trace

# Cell styles: what a cell is, for renderers that can colour it.
NAME, LABEL, OPERAND, VALUE, MASKED, RULE, SUM, GAP = (
    "name", "label", "operand", "value", "masked", "rule", "sum", "gap",
)  # fmt: skip
# The heat-map's shades, lightest to darkest: an attention weight in (0, ¼], (¼, ½], (½, ¾], (¾, 1].
HEAT = ("heat1", "heat2", "heat3", "heat4")
EDGES = (4, 3, 2, 1)  # items kept at each end of an elided axis, widest first
FULL_EDGE = 32  # the full view (--full) shows up to 65 rows and columns: beyond, no page or terminal helps
V_ELLIPSIS, X_ELLIPSIS = "⋮", "⋱"


@dataclass(frozen=True)
class Cell:
    text: str = ""
    style: str = GAP
    left: bool = False  # labels and names read from the left; numbers align right
    field: str | None = None  # a worksheet's box: the form field (step and cell) it stands for


BLANK = Cell()
BAR, CROSS, DASH = Cell("│", RULE), Cell("┼", RULE), Cell("─", RULE)
Grid = list[list[Cell]]


@dataclass(frozen=True)
class Block:
    """A matrix to place in a grid: its values, labels and name, with hidden indices None."""

    name: str
    value: np.ndarray
    rows: Sequence[str]
    cols: Sequence[str]
    style: str = VALUE
    cells: np.ndarray | None = None  # Cells drawn instead of the values (a marked answer)
    keep: tuple[int | None, int | None] = (None, None)  # a row and a column shown however elided

    def transposed(self) -> Block:
        cells = None if self.cells is None else self.cells.T
        return Block(f"{self.name}ᵀ", self.value.T, self.cols, self.rows, self.style, cells, self.keep[::-1])


def visible(count: int, edge: int | None, keep: int | None = None) -> list[int | None]:
    """The indices shown of an axis of ``count``: all, or ``edge`` at each end around None;
    ``keep`` is shown too, between two Nones, when it falls in the middle (as many shown)."""
    if edge is None or count <= 2 * edge + 1:
        return list(range(count))
    if keep is None or keep < edge or keep >= count - edge:
        return [*range(edge), None, *range(count - edge, count)]
    return [*range(edge - 1), None, keep, None, *range(count - edge + 1, count)]


# --- building grids -----------------------------------------------------------------------
def step_grid(step: Step, trace: Trace, precision: int, width: int, full: bool, encoding: str | None = None) -> Grid:
    """The widest elision of ``step`` whose lines fit in ``width`` (everything if ``full``),
    its cells as they print in ``encoding`` (see :func:`printed_grid`).

    Only the axes that run across the page narrow to fit; rows keep ``EDGES[0]`` a side."""
    return fitted(_builder(step, trace, precision), width, full, encoding)


def value_grid(step: Step, layout: str, precision: int, width: int, full: bool) -> Grid:
    """The step's own values as a labelled matrix, elided like :func:`step_grid` (a vector
    as a row in the columns layout, as a column in the rows layout): what a formula equals."""
    value, rows, cols = step.value, step.rows, step.cols
    if value.ndim == 1:
        labels = cols or rows or ("",) * len(value)
        value, rows, cols = (value[None, :], ("",), labels) if layout == "columns" else (value[:, None], labels, ("",))
    this = Block(short(step.name), value, rows or ("",) * value.shape[0], cols or ("",) * value.shape[1])
    return fitted(lambda edge: matrix(this, precision, edge), width, full)


def fitted(build: Callable[[int | None], Grid], width: int, full: bool, encoding: str | None = None) -> Grid:
    """The widest of ``build``'s elisions whose lines fit in ``width`` (if ``full``, everything
    up to ``FULL_EDGE`` items at each end of an axis), measured as it prints in ``encoding``."""
    if encoding is not None:
        return fitted(lambda edge: printed_grid(build(edge), encoding), width, full)
    if full:
        return build(FULL_EDGE)
    grids = (build(edge) for edge in EDGES)
    for grid in grids:
        if line_width(grid) <= width:
            return grid
    return grid


def _builder(step: Step, trace: Trace, precision: int) -> Callable[[int | None], Grid]:
    this = Block(short(step.name), step.value, step.rows, step.cols)
    if step.kind == PRODUCT:
        left, right = (operand(trace, ref) for ref in step.operands)
        return lambda edge: product(left, right, this, precision, edge)
    if step.kind == SUMS:
        source = operand(trace, step.operands[0])
        return lambda edge: sums(source, step, trace.layout, precision, edge)
    return lambda edge: matrix(this, precision, edge)


def operand(trace: Trace, ref: Ref, cells: np.ndarray | None = None) -> Block:
    """The step ``ref`` names, as an operand drawn beside or above a product (transposed
    when the formula says so); ``cells`` draws instead of its values."""
    step = trace[ref.name]
    block = Block(short(step.name), step.value, step.rows, step.cols, OPERAND, cells)
    return block.transposed() if ref.T else block


def matrix(block: Block, precision: int, edge: int | None) -> Grid:
    """A labelled matrix with its name in the corner."""
    rows, cols = visible(len(block.rows), _rows(edge), block.keep[0]), visible(len(block.cols), edge, block.keep[1])
    grid = [[Cell(block.name, NAME, True), *_labels(block.cols, cols)]]
    for i, values in zip(rows, _values(block, rows, cols, precision)):
        grid.append([_row_label(block.rows, i), *values])
    return grid


def product(L: Block, R: Block, C: Block, precision: int, edge: int | None) -> Grid:
    """``C = L · R`` with ``R`` above ``C`` and ``L`` beside it; each labelled with its own
    rows and columns (R's columns above, C's under the rule; L's rows left, C's by the bar)."""
    rows, inner, cols = (
        visible(len(C.rows), _rows(edge), C.keep[0]), visible(len(R.rows), edge), visible(len(C.cols), edge, C.keep[1])
    )
    pad = [BLANK] * len(inner)
    grid = [[BLANK, *pad, Cell(R.name, NAME), BAR, *_labels(R.cols, cols)]]
    for k, values in zip(inner, _values(R, inner, cols, precision)):
        grid.append([BLANK, *pad, _row_label(R.rows, k, left=False), BAR, *values])
    grid.append([DASH, *[DASH] * len(inner), DASH, CROSS, *[DASH] * len(cols)])
    grid.append([Cell(L.name, NAME, True), *_labels(L.cols, inner), Cell(C.name, NAME), BAR, *_labels(C.cols, cols)])
    left, right = _values(L, rows, inner, precision), _values(C, rows, cols, precision)
    # L's row i beside C's row i, each with its own label (x1 … and q1 …), once if the same
    for i, l_i, c_i in zip(rows, left, right):
        own = BLANK if i is None or C.rows[i] == L.rows[i] else _row_label(C.rows, i, left=False)
        grid.append([_row_label(L.rows, i), *l_i, own, BAR, *c_i])
    return grid


def sums(
    exp: Block, step: Step, layout: str, precision: int, edge: int | None, cells: np.ndarray | None = None
) -> Grid:
    """The exponentials with their sums under each column (beside each row, rows layout);
    ``cells`` draws instead of the sums."""
    grid = matrix(exp, precision, edge)

    def total(j: int | None) -> Cell:
        return _cell(step.value, j, SUM, precision) if cells is None or j is None else cells[j]

    if layout == "columns":
        cols = visible(len(exp.cols), edge, exp.keep[1])
        grid.append([DASH] * len(grid[0]))
        grid.append([Cell("Σ", NAME, True), *(total(j) for j in cols)])
        return grid
    grid[0] += [BAR, Cell("Σ", NAME)]
    for line, i in zip(grid[1:], visible(len(exp.rows), _rows(edge), exp.keep[0])):
        line += [BAR, total(i)]
    return grid


def _rows(edge: int | None) -> int | None:
    """Rows do not widen a table: they keep the widest elision (or the full view's)."""
    return None if edge is None else max(edge, EDGES[0])


def _labels(labels: Sequence[str], shown: list[int | None]) -> list[Cell]:
    return [Cell(ELLIPSIS if i is None else labels[i], LABEL) for i in shown]


def _row_label(labels: Sequence[str], i: int | None, left: bool = True) -> Cell:
    return Cell(V_ELLIPSIS if i is None else labels[i], LABEL, left)


def _values(block: Block, rows: list[int | None], cols: list[int | None], precision: int) -> list[list[Cell]]:
    """The cells of ``block`` at the shown rows and columns, a list to each row shown; an
    elided row or column (None) is dots. The shown numbers are formatted as one array."""
    if block.cells is not None:
        shown = [[block.cells[i, j] for j in cols if j is not None] for i in rows if i is not None]
    else:
        index = np.ix_([i for i in rows if i is not None], [j for j in cols if j is not None])
        shown = _numbers(block.value[index], block.style, precision)
    values = iter(shown)
    out = []
    for i in rows:
        if i is None:
            out.append([Cell(X_ELLIPSIS if j is None else V_ELLIPSIS, LABEL) for j in cols])
        else:
            row = iter(next(values))
            out.append([Cell(ELLIPSIS, LABEL) if j is None else next(row) for j in cols])
    return out


def _numbers(value: np.ndarray, style: str, precision: int) -> list[list[Cell]]:
    """A matrix as Cells of ``style`` (−∞, a masked cell, in its own), one Cell to each
    distinct text."""
    made: dict[str, Cell] = {}

    def cell(text: str) -> Cell:
        if text not in made:
            made[text] = Cell(text, MASKED if text == NEG_INF else style)
        return made[text]

    return [[cell(text) for text in row] for row in format_numbers(value, precision).tolist()]


def _cell(row: np.ndarray, j: int | None, style: str, precision: int) -> Cell:
    if j is None:
        return Cell(ELLIPSIS, LABEL)
    x = row[j]  # a float, or an exact Fraction
    return Cell(format_number(x, precision), MASKED if x == -np.inf else style)


# --- from grid to lines -------------------------------------------------------------------
def printed_grid(grid: Grid, encoding: str | None) -> Grid:
    """``grid`` with each cell's text as it prints on an output in ``encoding`` (−∞ as ``-inf``
    where only ASCII prints), so that its columns are measured on what is printed; None (UTF-8):
    as it is. Rules stay as they are: each of their characters prints as one."""
    if encoding is None:
        return grid
    from handcalc.plain import printed

    made: dict[Cell, Cell] = {}

    def shown(cell: Cell) -> Cell:
        if cell.style == RULE or cell.text.isascii():
            return cell
        if cell not in made:
            made[cell] = replace(cell, text=printed(cell.text, encoding))
        return made[cell]

    return [[shown(cell) for cell in row] for row in grid]


def widths(grid: Grid) -> list[int]:
    return [max(map(len, column)) for column in zip(*([cell.text for cell in row] for row in grid))]


def line_width(grid: Grid) -> int:
    return sum(widths(grid)) + 2 * (len(grid[0]) - 1)


_SPACE, _JOINED = ("  ", GAP), ("──", RULE)  # the gap between two columns; between two rule cells


def lines(grid: Grid) -> list[list[tuple[str, str]]]:
    """Each row as (text, style) pieces, padded to aligned columns two spaces apart.

    Rule cells fill their column and the gaps beside them, so rules are unbroken."""
    sizes = widths(grid)
    out = []
    for row in grid:
        pieces: list[tuple[str, str]] = [_SPACE] * (2 * len(row) - 1) if row else []
        pieces[::2] = [
            ("─" * size if cell is DASH else cell.text.ljust(size) if cell.left else cell.text.rjust(size), cell.style)
            for cell, size in zip(row, sizes)
        ]
        pieces[1::2] = [
            _JOINED if a.style == RULE and b.style == RULE and "│" not in a.text + b.text else _SPACE
            for a, b in zip(row, row[1:])
        ]
        out.append(_trim(pieces))
    return out


def _trim(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop trailing blanks, so that no line ends in spaces."""
    while pieces and not pieces[-1][0].strip():
        pieces.pop()
    if pieces:
        text, style = pieces[-1]
        pieces[-1] = (text.rstrip(), style)
    return pieces


def is_rule(row: list[Cell]) -> bool:
    """A rule across the grid (under the right operand, over the sums)."""
    return all(cell.style == RULE for cell in row)


def bar_columns(grid: Grid) -> set[int]:
    """The columns that are a vertical rule (beside the left operand, before the sums)."""
    if all(map(is_rule, grid)):
        return set()
    return {j for j in range(len(grid[0])) if all(row[j].style == RULE for row in grid)}


# --- the words around a grid --------------------------------------------------------------
def heading(step: Step) -> str:
    """``Q = W_q · X   (2×4)``: the formula and the shape (and what its axes are)."""
    return f"{step.formula}   ({shape_text(step)})"


def shape_text(step: Step) -> str:
    """``4×4: keys × queries``: the shape, and what the axes are where both are tokens."""
    axes = f": {' × '.join(step.axes)}" if step.axes else ""
    return f"{format_shape(step.shape)}{axes}"


def constants(step: Step, precision: int) -> str:
    """``d_k = 2 · √d_k = 1.414``: the numbers the formula uses."""
    return " · ".join(constant_texts(step, precision))


def constant_texts(step: Step, precision: int) -> list[str]:
    """``["d_k = 2", "√d_k = 1.414"]``: each constant the formula uses, with its value."""
    return [f"{name} = {format_number(value, precision)}" for name, value in step.constants]


def head_title(trace: Trace, head: str) -> str:
    """``Head 2 (d_k = 2, d_v = 3)``: the banner over a head's steps."""
    axis = 0 if trace.layout == "columns" else 1
    d_k, d_v = (trace[f"{head}.{name}"].shape[axis] for name in ("Q", "V"))
    return f"Head {head[1:]}  (d_k = {d_k}, d_v = {d_v})"


def title(trace: Trace) -> str:
    if "X" in trace:
        return f"{trace.title}  (tokens as {trace.layout})"
    return f"{trace.title}  (each {AXIS_WORD[trace.layout]} is one distribution)"
