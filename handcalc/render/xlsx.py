"""A live spreadsheet in the AI-by-Hand layout: every computed cell is a formula.

The inputs sit at the top left, one band per head. Below them each step is a panel, in the
order it is worked by hand; a product ``C = L · R`` has ``R`` above ``C`` and ``L`` beside
it (copies that are formulas ``=B4`` of the inputs and earlier steps), so that row i of ``L``
and column j of ``R`` meet at ``C[i, j] = MMULT(row i of L, column j of R)``::

                      X │ x1 x2 x3 x4
                        │  1  0  1  0     ← the copy of X: =B5, =C5 …
    W_q         Q       │ q1 q2 q3 q4
    q1  1 0 1           │  2  1  2  1     ← =MMULT(B12:D12, F9:F11) …

The softmax is ``scaled`` (``=scores/(√d_k·T)``), ``masked`` (−∞ as text, which the
exponential turns into 0), ``exp`` (``EXP`` or ``POWER(base, x)``) with the sums ``SUM`` under
it (beside it in the rows layout), and ``A`` (``=exp/sum``). ``d_k`` is ``ROWS`` (or
``COLUMNS``) of ``W_q`` and ``√d_k`` its ``SQRT``. With ``round:`` each computed cell is
``ROUND``-ed, as on paper. Only functions that Excel 2010 and LibreOffice both have are used,
and each formula's value is written too, so a viewer that does not recalculate shows the numbers.

A worksheet is the same workbook with the blank steps' cells left empty for the student
(the −∞ of the mask printed); the given steps are written as numbers, as on the paper sheet,
and the answer key writes every step as a formula again.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from handcalc.errors import HandcalcError
from handcalc.numbers import NEG_INF
from handcalc.render.grid import Block, head_title, heading, operand, title
from handcalc.steps import AXIS_WORD, head_of, short
from handcalc.trace import CONCAT, INPUT, PRODUCT, SUMS, Step, Trace

NOTE = (
    "Every computed cell is a formula: change an input (yellow) and every step recomputes. "
    "A masked cell holds the text −∞ (a weight of exactly 0): its exponential is written 0."
)
SHEET_NOTE = "Fill in the white boxes. The −∞ of a mask is printed; its exponential is 0."
# every function a formula here may use: Excel 2010's and LibreOffice's, none to prefix
FUNCTIONS = ("MMULT", "SUM", "EXP", "POWER", "MAX", "IF", "ISNUMBER", "ISBLANK", "ROUND", "SQRT", "ROWS", "COLUMNS")
MAX_CELLS = 150_000  # about a second and a half to write, 100 MiB
GAP = 2  # blank rows between two panels
CONSTANTS = ("d_k", "√d_k", "s", "T", "base")  # the constants a formula uses (not the drift of round:)


def render(trace: Trace, precision: int = 3, round: int | None = None) -> bytes:
    """The workbook of ``trace``: one sheet, every computed cell a live formula."""
    return _book([_Sheet("attention", trace, precision, round)])


def worksheets(sheets: Sequence, round: int | None = None) -> bytes:
    """The workbook of worksheets (one tab each, named by variant): the blanks empty."""
    tabs = []
    for number, sheet in enumerate(sheets, 1):
        name = sheet.variant or (f"sheet {number}" if len(sheets) > 1 else "worksheet")
        tabs.append(_Sheet(name, sheet.trace, sheet.precision, sheet.round if round is None else round,
                           blanks=() if sheet.key else sheet.blanks, given_values=not sheet.key,
                           key=sheet.key))  # fmt: skip
    return _book(tabs)


@dataclass
class _Sheet:
    """What one tab shows: a trace, and on a worksheet which steps are blank."""

    name: str
    trace: Trace
    precision: int
    round: int | None
    blanks: tuple[str, ...] = ()
    given_values: bool = False  # a worksheet: the given computed steps as numbers
    key: bool = False


class WorkbookTooLarge(HandcalcError):
    """A workbook of more cells than a live spreadsheet is written with (a bad input: exit 3)."""


def cells(trace: Trace) -> int:
    """The cells of a tab, near enough: every step's, and a copy of each product's operands."""
    copies = sum(trace[ref.name].value.size for step in trace if step.kind == PRODUCT for ref in step.operands)
    return copies + sum(step.value.size for step in trace)


def _book(sheets: list[_Sheet]) -> bytes:
    import xlsxwriter

    size = sum(cells(sheet.trace) for sheet in sheets)
    if size > MAX_CELLS:
        raise WorkbookTooLarge(
            f"a live spreadsheet of this would have {size:,} cells; handcalc writes at most {MAX_CELLS:,} "
            "(64 tokens with d_model 64 are 90,000): use --format json, or a smaller problem")

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    styles = _styles(book)
    for sheet in sheets:
        _Writer(book, book.add_worksheet(sheet.name[:31], _worksheet_class()), sheet, styles).write()
    book.close()
    return out.getvalue()


@functools.cache
def _worksheet_class() -> type:
    """XlsxWriter's worksheet, without the search of each formula for the functions Excel
    added after 2010 (to prefix them ``_xlfn.``): the formulas here use none of them
    (``FUNCTIONS``), and the search was two thirds of the time of a large workbook."""
    from xlsxwriter.worksheet import Worksheet

    class Plain(Worksheet):
        def _prepare_formula(self, formula, expand_future_functions=False):
            return formula[1:] if formula.startswith("=") else formula

    return Plain


def _styles(book) -> dict[str, object]:
    def style(**properties):
        return book.add_format({"font_name": "DejaVu Sans", **properties})

    return {
        "title": style(bold=True, font_size=14), "note": style(italic=True, font_color="#555555"),
        "head": style(bold=True, font_size=12, font_color="#8a3ab9"), "heading": style(bold=True),
        "name": style(bold=True, font_color="#8a3ab9", align="right"), "label": style(italic=True, font_color="#1b6f8a", align="right"),
        "input": style(bg_color="#fff4c2", border=1, border_color="#c9b458"), "copy": style(font_color="#666666"), "given": style(font_color="#666666"),
        "value": style(bold=True), "sum": style(bold=True, bg_color="#fff1c2"), "masked": style(font_color="#b3261e", align="right"),
        "answer": style(border=2, bg_color="#ffffff"), "constant": style(italic=True, align="right"),
    }  # fmt: skip


class _Writer:
    """Places the panels of one sheet and writes every cell with its formula and value.

    ``at[name]`` is where a step's own values are: the row and column of its cell (0, 0),
    in the orientation it is shown (the sums run along a row in the columns layout, down a
    column in the rows layout)."""

    def __init__(self, book, worksheet, sheet: _Sheet, styles: dict[str, object]) -> None:
        self.book, self.ws, self.sheet, self.trace, self.styles = book, worksheet, sheet, sheet.trace, styles
        self.layout = sheet.trace.layout
        self.at: dict[str, tuple[int, int]] = {}
        self.row = 0
        self.digits = f"0.{'0' * sheet.precision}" if sheet.precision else "0"
        self.number = {name: self._with_number(name) for name in ("copy", "value", "sum")}

    def _with_number(self, name: str):
        style = self.styles[name]
        style.set_num_format(self.digits)  # shared by every tab: one precision per workbook
        return style

    # --- the sheet ------------------------------------------------------------------------------
    def write(self) -> None:
        sheet = self.sheet
        self.ws.write_string(0, 0, title(self.trace) + ("  — answer key" if sheet.key else ""), self.styles["title"])
        self.ws.write_string(1, 0, SHEET_NOTE if sheet.blanks else NOTE, self.styles["note"])
        self.row = 3
        self._inputs()
        shown_head = None
        for step in self.trace:
            if step.kind == INPUT or step.kind == SUMS:  # sums are drawn with their exponentials
                continue
            head = head_of(step.name)
            if head != shown_head and head is not None:
                self.ws.write_string(self.row, 0, head_title(self.trace, head), self.styles["head"])
                self.row += 2
            shown_head = head
            self._panel(step)
        self.ws.set_column(0, 0, 8)
        self._names()

    def _names(self) -> None:
        """Each step's cells as a name of this tab (``step_h1_A``), to find them by."""
        for name, (top, left) in self.at.items():
            shape = self.trace[name].value.shape
            if len(shape) == 1:  # the sums: along a row (columns layout) or down a column
                shape = (1, shape[0]) if self.layout == "columns" else (shape[0], 1)
            cells = _range(top, left, top + shape[0] - 1, left + shape[1] - 1, absolute=True)
            self.book.define_name(f"'{self.ws.name}'!{step_name(name)}", f"='{self.ws.name}'!{cells}")

    def _inputs(self) -> None:
        """The inputs at the top left: X (and X_kv, W_o) on one band, each head's weights on the next."""
        inputs = [step for step in self.trace if step.kind == INPUT]
        for band in dict.fromkeys(head_of(step.name) for step in inputs):
            column, height = 0, 0
            for step in (step for step in inputs if head_of(step.name) == band):
                rows, cols = step.value.shape
                self._labelled(step.name, step.rows, step.cols, self.row, column)
                self.at[step.name] = (self.row + 1, column + 1)
                self._cells(step, self.row + 1, column + 1, lambda i, j: None, "input")
                column += cols + 2
                height = max(height, rows + 1)
            self.row += height + GAP

    # --- one panel per step -------------------------------------------------------------------------
    def _panel(self, step: Step) -> None:
        constants = self._constants_row(step)
        self.ws.write_string(self.row, 0, heading(step), self.styles["heading"])
        self.row += 1
        if constants:
            for k, (label, formula, value, style) in enumerate(constants):
                self.ws.write_string(self.row, 1 + 2 * k, label, self.styles["constant"])
                self._formula(self.row, 2 + 2 * k, formula, value, style)
            self.row += 1
        if step.kind == PRODUCT:
            self._product(step)
        else:
            self._matrix(step)
        self.row += GAP

    def _product(self, step: Step) -> None:
        """``C = L · R``: R above C, L beside it, C[i, j] = MMULT(row i of L, column j of R)."""
        L, R = (operand(self.trace, ref) for ref in step.operands)
        k = len(R.rows)
        top, left = self.row, k + 1  # R's name and labels row; the column of C's name
        self._labelled(R.name, R.rows, R.cols, top, left)
        self._copies(step.operands[1], R, top + 1, left + 1)
        middle = top + 1 + k
        self._labelled(L.name, (), L.cols, middle, 0)
        self.ws.write_string(middle, left, short(step.name), self.styles["name"])
        self._labels(step.cols, middle, left + 1, across=True)
        self._labels(step.rows, middle + 1, 0, across=False)
        self._copies(step.operands[0], L, middle + 1, 1)
        first = middle + 1
        self.at[step.name] = (first, left + 1)

        def mmult(i: int, j: int) -> str:
            row = _range(first + i, 1, first + i, k)
            column = _range(top + 1, left + 1 + j, top + k, left + 1 + j)
            return f"MMULT({row},{column})"

        self._cells(step, first, left + 1, mmult)
        self.row = first + len(step.rows)

    def _matrix(self, step: Step) -> None:
        """A step made cell by cell (or stacked), its name in the corner; exp with its sums."""
        top = self.row
        self._labelled(short(step.name), step.rows, step.cols, top, 0)
        self.at[step.name] = (top + 1, 1)
        self._cells(step, top + 1, 1, self._cell_formula(step))
        rows, cols = step.value.shape
        self.row = top + 1 + rows
        sums = self._sums_of(step)
        if sums is None:
            return
        if self.layout == "columns":  # the sums written under the exponentials
            self.ws.write_string(self.row, 0, "Σ", self.styles["name"])
            at = (self.row, 1)
            self.row += 1
        else:  # beside them
            self.ws.write_string(top, 1 + cols, "Σ", self.styles["name"])
            at = (top + 1, 1 + cols)
        self.at[sums.name] = at
        along = self.layout == "columns"
        self._vector(sums, at, along, lambda n: f"SUM({self._line(step.name, n, rows if along else cols)})")

    # --- formulas of the steps made cell by cell ------------------------------------------------
    def _cell_formula(self, step: Step) -> Callable[[int, int], str | None]:
        name = short(step.name)
        source = self.trace[step.operands[0].name] if step.operands else None
        if step.kind == CONCAT:
            return self._concat(step)
        if name == "scaled":
            divisor = self._divisor
            return lambda i, j: f"{self._ref(source.name, i, j)}/{divisor}" if divisor else self._ref(source.name, i, j)
        if name == "masked":
            return lambda i, j: None if step.value[i, j] == -np.inf else self._ref(source.name, i, j)
        if name == "exp":
            return self._exp(step, source)
        if name == "A":  # each column (row) divided by its sum
            sums = _sibling(step.name, "sums")
            return lambda i, j: f"{self._ref(source.name, i, j)}/{self._ref(sums, j if self.layout == 'columns' else i)}"
        raise ValueError(f"no formula for step {step.name}")

    def _exp(self, step: Step, source: Step) -> Callable[[int, int], str]:
        """``EXP(x)`` or ``POWER(base, x)``; ``x − MAX(column)`` where the trace shifted it;
        a masked (text) cell's exponential is 0."""
        base = self._base
        shifted = f"{AXIS_WORD[self.layout]} max" in step.formula
        masked = short(source.name) == "masked"
        rows, cols = source.value.shape

        def formula(i: int, j: int) -> str:
            x = self._ref(source.name, i, j)
            power = x
            if shifted:
                line = self._line(source.name, j, rows) if self.layout == "columns" else self._line(source.name, i, cols)
                power = f"({x}-MAX({line}))"
            value = f"POWER({base},{power})" if base else f"EXP({power})"
            return f"IF(ISNUMBER({x}),{value},0)" if masked else value

        return formula

    def _concat(self, step: Step) -> Callable[[int, int], str]:
        """The heads' Z stacked top to bottom (side by side in the rows layout)."""
        places = []  # (head's Z, offset) for each row (column) of concat
        for ref in step.operands:
            size = self.trace[ref.name].value.shape[0 if self.layout == "columns" else 1]
            places += [(ref.name, k) for k in range(size)]
        if self.layout == "columns":
            return lambda i, j: self._ref(places[i][0], places[i][1], j)
        return lambda i, j: self._ref(places[j][0], i, places[j][1])

    # --- constants: d_k, √d_k, s, T, the base ---------------------------------------------------
    def _constants_row(self, step: Step) -> list[tuple[str, str | None, float, str]]:
        """(label, formula or None for a given number, value, style) of each constant the
        step's formula uses, for the row under its heading; remembers the cells that the
        divisor of the scores (√d_k · T, s · T) and the base of exp are in."""
        self._divisor, self._base = "", ""
        constants = [(label, value) for label, value in step.constants if label in CONSTANTS]
        row, factors, cells = [], [], {}
        for k, (label, value) in enumerate(constants):
            cells[label] = _cell_ref(self.row + 1, 2 + 2 * k)  # the row under the heading
            if label == "d_k":  # the rows of W_q (its columns in the rows layout)
                W_q = self._input_range(_sibling(step.name, "W_q"))
                row.append((label, f"{'ROWS' if self.layout == 'columns' else 'COLUMNS'}({W_q})", value, "constant"))
                continue
            if label == "√d_k":
                row.append((label, f"SQRT({cells['d_k']})", value, "constant"))
            else:  # s, T and the base are given: inputs too
                row.append((label, None, value, "input"))
            if label == "base":
                self._base = cells[label]
            else:
                factors.append(cells[label])
        if factors:
            self._divisor = factors[0] if len(factors) == 1 else f"({'*'.join(factors)})"
        return row

    # --- cells -------------------------------------------------------------------------------------
    def _cells(self, step: Step, top: int, left: int, formula: Callable[[int, int], str | None], style: str = "value") -> None:
        """Each cell of ``step`` at (top + i, left + j): a formula (with its value), the −∞ of
        a mask as text, a given number, or — a blank on a worksheet — an empty box."""
        blank = step.name in self.sheet.blanks
        given = self.sheet.given_values and step.kind != INPUT
        for (i, j), x in np.ndenumerate(step.value):
            row, col = top + i, left + j
            if x == -np.inf:
                self.ws.write_string(row, col, NEG_INF, self.styles["masked"])
            elif blank:
                self.ws.write_blank(row, col, None, self.styles["answer"])
            elif style == "input" or given:
                self.ws.write_number(row, col, float(x), self.styles[style] if style == "input" else self.number["value"])
            else:
                self._formula(row, col, self._rounded(formula(i, j)), x, "value")

    def _vector(self, step: Step, at: tuple[int, int], along: bool, formula: Callable[[int], str]) -> None:
        """The sums: along a row (columns layout) or down a column."""
        for n, x in enumerate(step.value):
            row, col = (at[0], at[1] + n) if along else (at[0] + n, at[1])
            if step.name in self.sheet.blanks:
                self.ws.write_blank(row, col, None, self.styles["answer"])
            elif self.sheet.given_values:
                self.ws.write_number(row, col, float(x), self.number["sum"])
            else:
                self._formula(row, col, self._rounded(formula(n)), x, "sum")

    def _copies(self, ref, block: Block, top: int, left: int) -> None:
        """An operand drawn beside or above a product: each cell ``=`` the cell it copies (of
        a blank step: empty until the student writes it)."""
        source = ref.name
        blank = source in self.sheet.blanks
        for (i, j), x in np.ndenumerate(block.value):
            a, b = (j, i) if ref.T else (i, j)
            cell = self._ref(source, a, b)
            if x == -np.inf:
                self.ws.write_string(top + i, left + j, NEG_INF, self.styles["masked"])
            elif blank:
                self._formula(top + i, left + j, f'IF(ISBLANK({cell}),"",{cell})', None, "copy")
            else:  # an input's copy shows it as it was typed; a step's, to the precision
                self._formula(top + i, left + j, cell, x, "given" if self.trace[source].kind == INPUT else "copy")

    def _formula(self, row: int, col: int, formula: str | None, value, style: str) -> None:
        fmt = self.number.get(style) or self.styles[style]
        if formula is None:
            self.ws.write_number(row, col, float(value), fmt)
        else:
            self.ws.write_formula(row, col, f"={formula}", fmt, "" if value is None else float(value))

    def _rounded(self, formula: str) -> str:
        return formula if self.sheet.round is None else f"ROUND({formula},{self.sheet.round})"

    def _labelled(self, name: str, rows: Sequence[str], cols: Sequence[str], top: int, left: int) -> None:
        """A name in the corner, the column labels beside it, the row labels under it."""
        self.ws.write_string(top, left, name, self.styles["name"])
        self._labels(cols, top, left + 1, across=True)
        self._labels(rows, top + 1, left, across=False)

    def _labels(self, labels: Sequence[str], row: int, col: int, across: bool) -> None:
        for n, label in enumerate(labels):
            if label:
                self.ws.write_string(row + (0 if across else n), col + (n if across else 0), label, self.styles["label"])

    # --- where things are --------------------------------------------------------------------------
    def _ref(self, name: str, i: int, j: int | None = None) -> str:
        """The cell of step ``name`` at (i, j) (of the sums: at i)."""
        top, left = self.at[name]
        if j is None:
            along = self.layout == "columns"
            return _cell_ref(top, left + i) if along else _cell_ref(top + i, left)
        return _cell_ref(top + i, left + j)

    def _line(self, name: str, n: int, length: int) -> str:
        """Column n of step ``name`` (row n in the rows layout): what one query's softmax runs over."""
        top, left = self.at[name]
        if self.layout == "columns":
            return _range(top, left + n, top + length - 1, left + n)
        return _range(top + n, left, top + n, left + length - 1)

    def _input_range(self, name: str) -> str:
        top, left = self.at[name]
        rows, cols = self.trace[name].value.shape
        return _range(top, left, top + rows - 1, left + cols - 1)

    def _sums_of(self, step: Step) -> Step | None:
        if short(step.name) != "exp":
            return None
        name = _sibling(step.name, "sums")
        return self.trace[name] if name in self.trace else None


def _sibling(name: str, other: str) -> str:
    """The step ``other`` of the same head as step ``name``: (h2.exp, sums) → h2.sums."""
    head = head_of(name)
    return f"{head}.{other}" if head else other


def _cell_ref(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)


def _range(top: int, left: int, bottom: int, right: int, absolute: bool = False) -> str:
    from xlsxwriter.utility import xl_range, xl_range_abs

    return (xl_range_abs if absolute else xl_range)(top, left, bottom, right)


def step_name(name: str) -> str:
    """The workbook's name of a step's cells: ``step_Q``, ``step_h2_A``."""
    return "step_" + name.replace(".", "_")
