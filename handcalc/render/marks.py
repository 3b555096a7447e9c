"""A marked answers file as blocks, in the by-hand layout, for the text and rich formats,
and as JSON for scripts.

Each answered step is its by-hand table with the student's numbers in place of the result,
every cell marked: ✓ right, ✗ wrong (the true value after it), ~ carried (right from the
student's own earlier answers), ? blank.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import numpy as np

from handcalc.check import BLANK, CARRIED, EXACT, RIGHT, WRONG, CellMark, Marks, StepMarks
from handcalc.numbers import format_number
from handcalc.render import RenderOptions
from handcalc.render.blocks import CONSTANTS, EXPLAIN, GRID, HEADING, NOTE, TITLE, WORK, Block
from handcalc.render.grid import Block as Matrix
from handcalc.render.grid import EDGES, FULL_EDGE, OPERAND, Cell, fitted, heading, matrix, operand, product
from handcalc.steps import short
from handcalc.trace import PRODUCT, Trace

SIGN = {RIGHT: "✓", WRONG: "✗", CARRIED: "~", BLANK: "?"}
LEGEND = "✓ right · ✗ wrong, then the true value · ~ carried: right from your own answers · ? blank"


def blocks(marks: Marks, trace: Trace, options: RenderOptions, ecf: bool) -> Iterator[Block]:
    """The blocks of one marked file: its summary, then each answered step."""
    yield Block(TITLE, f"{marks.file}: {summary(marks, ecf)}")
    if marks.error is not None:
        return
    yield Block(EXPLAIN, LEGEND)
    for step_marks in marks.steps:
        step = trace[step_marks.name]
        yield Block(HEADING, heading(step), step=step)
        yield Block(CONSTANTS, counts(step_marks), step=step)
        cells = _marked_cells(step_marks, step, options)  # once: each elision tried draws from them
        build = lambda edge, s=step_marks, c=cells: _grid(s, c, marks, trace, options, edge)  # noqa: E731
        yield Block(GRID, grid=fitted(build, options.width - 2, options.full, options.encoding), step=step)
        for note in (step_marks.diagnosis, step_marks.note):
            if note:
                yield Block(NOTE, note, step=step)
        if (wrong := step_marks.first_wrong) is not None and (line := _work(step_marks, wrong, trace, options)):
            yield Block(WORK, lines=(line,), step=step)


def brief(marks: Marks, ecf: bool) -> Iterator[Block]:
    """One file of a class, in brief: its summary, and why it is not full marks."""
    from handcalc.check import first_mistake

    yield Block(TITLE, f"{marks.file}: {summary(marks, ecf)}")
    if marks.error is None and not marks.passed(ecf) and (why := first_mistake(marks)):
        yield Block(EXPLAIN, f"first mistake: {why}")


def summary(marks: Marks, ecf: bool = False) -> str:
    """``Q 12/12 · K 11/12 · A 14/16 — 87%``: each step's right cells, and the score."""
    if marks.error is not None:
        return f"not marked: {marks.error}"
    parts = [f"{s.name} {s.count(RIGHT) + (s.count(CARRIED) if ecf else 0)}/{len(s.cells)}" for s in marks.steps]
    score = marks.score(ecf)
    return " · ".join(parts) + ("" if score is None else f" — {percent(score)}")


def percent(score: float) -> str:
    return f"{math.floor(score * 100 + 0.5)}%"


def counts(step: StepMarks) -> str:
    shown = [f"{step.count(verdict)} {verdict}" for verdict in (RIGHT, WRONG, CARRIED, BLANK) if step.count(verdict)]
    return ", ".join(shown)


def _marked_cells(step_marks: StepMarks, step, options: RenderOptions) -> np.ndarray:
    """Each cell as it is drawn, but for those that no elision (⋯) shows: of a 256×256
    step, only the rows and columns at its ends."""
    cells = np.empty(step.shape, dtype=object)
    edge = FULL_EDGE if options.full else EDGES[0]  # the most an elided axis keeps at each end
    shown = [range(n) if n <= 2 * edge + 1 else {*range(edge), *range(n - edge, n)} for n in step.shape]
    for cell in step_marks.cells:
        if cell.index[0] in shown[0] and cell.index[-1] in shown[-1]:
            cells[cell.index] = _marked(cell, options.precision)
    return cells


def _grid(step_marks: StepMarks, cells: np.ndarray, marks: Marks, trace: Trace, options: RenderOptions,
          edge: int | None):
    step = trace[step_marks.name]
    if step.value.ndim == 1:  # the sums: one row
        this = Matrix("Σ", step.value.reshape(1, -1), ("",), step.cols or step.rows, cells=cells.reshape(1, -1))
        return matrix(this, options.precision, edge)
    this = Matrix(short(step.name), step.value, step.rows, step.cols, cells=cells)
    if step.kind != PRODUCT:
        return matrix(this, options.precision, edge)
    carried = step_marks.count(CARRIED) > 0
    left, right = (_operand(trace, ref, marks, carried) for ref in step.operands)
    return product(left, right, this, options.precision, edge)


def _operand(trace: Trace, ref, marks: Marks, carried: bool) -> Matrix:
    """An operand drawn beside a product: the student's own ("your A", blanks filled
    with the true values) where the step's carried cells were worked out from it, else
    the true one."""
    theirs = next((s for s in marks.steps if s.name == ref.name), None)
    if not carried or theirs is None or not any(c.verdict in (WRONG, CARRIED) for c in theirs.cells):
        return operand(trace, ref)
    step = trace[ref.name]
    value = np.array(step.value, dtype=float)
    for cell in theirs.cells:
        if not math.isnan(cell.given):
            value[cell.index] = cell.given
    block = Matrix(f"your {short(step.name)}", value, step.rows, step.cols, OPERAND)
    return block.transposed() if ref.T else block


def _marked(cell: CellMark, precision: int) -> Cell:
    if cell.verdict == BLANK:
        return Cell(SIGN[BLANK], BLANK)
    given = _written(cell, precision)
    true = f" {format_number(cell.expected, precision)}" if cell.verdict == WRONG else ""
    return Cell(f"{given} {SIGN[cell.verdict]}{true}", cell.verdict)


def _written(cell: CellMark, precision: int) -> str:
    """The number as the student wrote it: with their decimals (in full for ``5.048e+12``),
    or their text."""
    if cell.text is not None:
        return cell.text
    return format_number(cell.given, min(max(cell.places, 0), 15) if cell.places < EXACT else precision)


def _work(step_marks: StepMarks, cell: CellMark, trace: Trace, options: RenderOptions) -> str | None:
    """The work of the first wrong cell, and what was written there."""
    from handcalc.render.work import written
    from handcalc.work import cell_work

    work = cell_work(trace[step_marks.name], trace, cell.index)
    if work is None:
        return None
    return f"{written(work, options.precision)}; you wrote {_written(cell, options.precision)}"


# --- JSON ------------------------------------------------------------------------------------
def to_json(all_marks: list[Marks], ecf: bool) -> str:
    """``{"files": [{"file", "score", "steps": [{"name", "right", "wrong", "blank", "carried",
    "diagnosis", "carried_from", "cells": [{"row", "col", "given", "expected", "verdict"}]}]}]}``;
    ``cells`` lists every cell that is not right, rows and columns counted from 1; a blank or
    masked cell is null, and ``given`` is the text written where it is not a number."""
    files = []
    for marks in all_marks:
        entry = {"file": marks.file, "score": marks.score(ecf)}
        if marks.error is not None:
            entry["error"] = marks.error
        entry["steps"] = [_step_json(step) for step in marks.steps]
        files.append(entry)
    return json.dumps({"files": files}, ensure_ascii=False, indent=1) + "\n"


def _step_json(step: StepMarks) -> dict:
    counts = {verdict: step.count(verdict) for verdict in (RIGHT, WRONG, BLANK, CARRIED)}
    cells = [
        {"row": _row(cell), "col": cell.index[-1] + 1, "given": cell.text if cell.text is not None else _value(cell.given),
         "expected": _value(cell.expected), "verdict": cell.verdict}
        for cell in step.cells if cell.verdict != RIGHT
    ]  # fmt: skip
    return {"name": step.name, **counts, "diagnosis": step.diagnosis, "carried_from": list(step.carried_from),
            "cells": cells}


def _row(cell: CellMark) -> int:
    return cell.index[0] + 1 if len(cell.index) == 2 else 1


def _value(x: float) -> float | None:
    """A cell for JSON: null for a blank or a masked cell, as in ``run``'s JSON."""
    return None if math.isnan(x) or math.isinf(x) else x


# --- Markdown ---------------------------------------------------------------------------------
def markdown(marks: Marks, trace: Trace, options: RenderOptions, ecf: bool) -> dict[str, str]:
    """Each answered step of ``marks`` as Markdown, by step name: its counts, its marked
    by-hand table, the diagnosis and the work of its first wrong cell."""
    from handcalc.render.markdown import code, escape, table

    drawn: dict[str, list[str]] = {}
    carried = {step.note for step in marks.steps if step.note}  # "follows from your A": no diagnosis
    for block in blocks(marks, trace, options, ecf):
        if block.step is None or block.kind == HEADING:
            continue  # the file's summary and the legend, and the heading the platform names
        parts = drawn.setdefault(block.step.name, [])
        if block.kind == CONSTANTS:
            parts.append(escape(block.text))
        elif block.kind == GRID:
            parts.append(table(block.grid))
        elif block.kind == NOTE:
            label = "Carried" if block.text in carried else "Diagnosis"
            parts.append(f"**{label}:** {escape(block.text)}")
        elif block.kind == WORK:
            parts.append(code(block.lines))
    return {name: "\n\n".join(parts) for name, parts in drawn.items()}
