"""The grids of a worksheet, shared by its formats (Typst/PDF, HTML, Markdown).

A blank step is drawn in its by-hand arrangement (:mod:`handcalc.render.grid`): a product
with its right operand above and its left operand beside it, the sums under the
exponentials. Its own cells are ``ANSWER`` boxes — empty on the sheet, holding the answer on
the key — except the −∞ of the mask, printed (``PREFILLED``). An operand that is itself a
blank step is drawn as ``COPY`` cells: empty on the sheet (the student copies their own
numbers in), filled on the key. A given step is drawn as its plain labelled matrix.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from handcalc.marking.pdf_forms import field_name
from handcalc.numbers import NEG_INF, format_number, format_numbers
from handcalc.render.grid import (
    SUM,
    VALUE,
    Block,
    Cell,
    Grid,
    matrix,
    operand,
    product,
    sums,
    value_grid,
)
from handcalc.steps import Ref, short
from handcalc.trace import PRODUCT, SUMS, Step
from handcalc.worksheet import Worksheet

ANSWER, COPY, PREFILLED = "answer", "copy", "prefilled"
WIDE = 10_000  # a worksheet is never elided: every cell is written


def given_grid(sheet: Worksheet, step: Step) -> Grid:
    """A given step as a labelled matrix of its values."""
    return value_grid(step, sheet.trace.layout, sheet.precision, WIDE, True)


def blank_grid(sheet: Worksheet, step: Step, by_hand: bool = True) -> Grid:
    """A blank step in the by-hand arrangement, its cells to fill in (answered on a key);
    with ``by_hand`` False a product is its own labelled boxes, without its operands."""
    this = _own(sheet, step)
    if step.kind == PRODUCT and by_hand:
        left, right = (_operand(sheet, ref) for ref in step.operands)
        return product(left, right, this, sheet.precision, None)
    if step.kind == SUMS:
        grid = sums(_operand(sheet, step.operands[0]), step, sheet.trace.layout, sheet.precision, None)
        fields = iter(field_name(step.name, (j,)) for j in range(step.value.size))  # the sums, in order
        return [[_answer(cell.text, sheet.key, next(fields)) if cell.style == SUM else cell for cell in row] for row in grid]
    return matrix(this, sheet.precision, None)


def widest_answer(sheet: Worksheet) -> int:
    """The characters of the longest number written in a box of ``sheet``: its blank steps'
    values and their operands' (the boxes beside them), at the sheet's precision."""
    names = {name for step in sheet.blank for name in (step.name, *(ref.name for ref in step.operands))}
    texts = (format_number(x, sheet.precision) for name in names for x in set(np.ravel(sheet.trace[name].value).tolist()))
    return max(map(len, texts), default=1)


def has_copies(sheet: Worksheet) -> bool:
    """Whether some blank step is worked from another blank step (whose boxes are copied)."""
    return any(step.kind in (PRODUCT, SUMS) and any(sheet.is_blank(ref.name) for ref in step.operands) for step in sheet.blank)


def _own(sheet: Worksheet, step: Step) -> Block:
    cells = _cells(sheet, step, ANSWER)
    return Block(short(step.name), step.value, step.rows, step.cols, VALUE, cells)


def _operand(sheet: Worksheet, ref: Ref) -> Block:
    """An operand; one that is itself a blank step is drawn as boxes to copy into."""
    step = sheet.trace[ref.name]
    return operand(sheet.trace, ref, _cells(sheet, step, COPY) if sheet.is_blank(step.name) else None)


def _cells(sheet: Worksheet, step: Step, style: str) -> np.ndarray:
    """The cells of a blank step: boxes (with the answer on a key), the mask's −∞ printed."""
    value = step.value if step.value.ndim == 2 else step.value[None, :]
    shown = sheet.prefilled(step).reshape(value.shape)
    if not sheet.key:
        texts = np.full(value.shape, "", dtype=object)
    elif value.size > 64:  # each distinct value formatted once
        texts = format_numbers(value, sheet.precision)
    else:  # a small matrix: one by one is quicker than finding the distinct ones
        texts = np.array([format_number(x, sheet.precision) for x in value.ravel().tolist()], dtype=object).reshape(value.shape)
    fields = _field_names(step.name, step.value.shape) if style == ANSWER else np.full(value.shape, None, dtype=object)
    cells = np.empty(value.shape, dtype=object)
    for index in np.ndindex(value.shape):
        cells[index] = Cell(NEG_INF, PREFILLED) if shown[index] else Cell(texts[index], style, field=fields[index])
    return cells


@lru_cache(maxsize=256)
def _field_names(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The form field of each cell of step ``name`` (of ``shape``; a vector as one row),
    the same for every variant of a class set."""
    rows, cols = shape if len(shape) == 2 else (1, shape[0])
    index = (lambda i, j: (i, j)) if len(shape) == 2 else (lambda i, j: (j,))
    names = np.empty((rows, cols), dtype=object)
    for i, j in np.ndindex(rows, cols):
        names[i, j] = field_name(name, index(i, j))
    names.flags.writeable = False
    return names


def _answer(text: str, key: bool, field: str) -> Cell:
    return Cell(text if key else "", ANSWER, field=field)
