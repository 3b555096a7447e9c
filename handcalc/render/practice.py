"""A practice session drawn: the current step's by-hand grid with the student's own entries in
place, the current cell in brackets and every cell not yet done as ``?``; the progress line;
what each event says, and the hints (the work lines of ``--show-work``).

Lines of words come as (text, style) pairs: the style (a verdict) is a help for the terminal,
the words say it all.
"""

from __future__ import annotations

import numpy as np

from handcalc.check import BLANK, CARRIED, RIGHT, WRONG
from handcalc.numbers import NEG_INF, format_number
from handcalc.practice import (
    BLANKED_WORK,
    COMMANDS,
    DONE,
    ENTERED,
    FULL_WORK,
    HELPED,
    HINTED,
    INVALID,
    ROW_AND_COLUMN,
    SKIPPED,
    STEP_DONE,
    STOPPED,
    WENT_BACK,
    Cell as Place,
    Entry,
    Event,
    Session,
    cell_label,
)
from handcalc.render import RenderOptions
from handcalc.render.blocks import CONSTANTS, GRID, HEADING, Block
from handcalc.render.grid import OPERAND, Cell, constants, fitted, heading, matrix, operand, product, sums
from handcalc.render.grid import Block as Matrix
from handcalc.render.marks import SIGN, counts
from handcalc.steps import AXIS_WORD, head_of, short
from handcalc.trace import PRODUCT, SUMS, Step
from handcalc.work import DotProduct, Masking, Power, Quotient, Scaling, Sum, cell_work, reads

CURRENT = "current"  # the style of the cell asked for now (its brackets say so in plain text)
NOT_YET, SKIPPED_TEXT = "?", "_"
Line = tuple[str, str]  # (text, style)


def screen(session: Session, options: RenderOptions) -> list[Block]:
    """The current step: its heading and constants, the grids it reads from (the student's
    own numbers where they gave them), then its own grid."""
    name, index = session.current
    step = session.trace[name]
    shown = [Block(HEADING, heading(step), step=step)]
    if step.constants:
        shown.append(Block(CONSTANTS, constants(step, options.precision), step=step))
    for build in _context(session, step, index, options.precision):
        shown.append(Block(GRID, grid=fitted(build, options.width - 2, options.full, options.encoding), step=step))
    return shown


def progress(session: Session) -> str:
    """``A 6/16 · 2 hints · 1 retry``: the current step's cells done, the hints and retries."""
    name, done, total = session.progress()
    return f"{name} {done}/{total} · {_count(session.hints, 'hint')} · {_count(session.retries, 'retry', 'retries')}"


def prompt(session: Session) -> str:
    """``A[2,1] = ``, with what Enter keeps at a cell already done."""
    cell = session.current
    entry = session.entries.get(cell)
    kept = entry is not None and not entry.blank and session.verdict(cell) != WRONG
    keeps = f" (Enter keeps {_shown(entry)})" if kept else ""
    return f"{cell_label(cell)}{keeps} = "


def said(event: Event, session: Session, options: RenderOptions) -> list[Line]:
    """What ``event`` says to the student, in ``session`` as it is after it."""
    if event.kind == ENTERED:
        return [_verdict(event)]
    if event.kind == HINTED:
        return [(f"  {line}", "") for line in hint(session.trace, event.cell, event.level, options)]
    if event.kind == SKIPPED:
        return [(f"  {cell_label(event.cell)} skipped: it counts as blank", BLANK)]
    if event.kind == WENT_BACK:
        return [(f"  back to {cell_label(event.cell)}", "")]
    if event.kind == STOPPED:
        return [(f"  stopped at {cell_label(event.cell)}", "")]
    if event.kind == HELPED:
        return [("  a number (2, -0.5, 0.26, 9/13, -inf for a masked cell), or:", "")] + [
            (f"  {letter}  {meaning}", "") for letter, meaning in COMMANDS.items()
        ]
    if event.kind == INVALID:
        return [(f"  {event.text}", WRONG)]
    if event.kind == STEP_DONE:
        lines = [(f"  {event.step.name} done: {counts(event.step)}", "")]
        if event.step.note:  # follows from your scores: a mistake carried forward
            lines.append((f"  Note: {event.step.note}", CARRIED))
        if event.diagnosis:
            lines.append((f"  Note on your first tries: {event.diagnosis}", CARRIED))
        return lines
    assert event.kind == DONE, event.kind
    return [("  Every cell done.", "")]


def hint(trace, cell: Place, level: int, options: RenderOptions) -> list[str]:
    """The help for ``cell``: the row and column that meet there and the first term
    (``h``), the work with its result blanked (``h`` again), the whole work (``w``)."""
    from handcalc.render.work import wrapped, written

    name, index = cell
    work = cell_work(trace[name], trace, index)
    line = written(work, options.precision)
    if level == FULL_WORK:
        return wrapped([line], options.width - 4)
    if level == BLANKED_WORK and not isinstance(work, Masking):
        return wrapped([f"{line.rpartition(' = ')[0]} = ?"], options.width - 4)
    assert level in (ROW_AND_COLUMN, BLANKED_WORK), level
    return [_meeting(trace, trace[name], index, work, options.precision)]


# --- the hint that points at the numbers --------------------------------------------------------
def _meeting(trace, step: Step, index, work, precision: int) -> str:
    """Where this cell's numbers are, in words: the row and the column, the source cell."""
    n = lambda x: format_number(x, precision)  # noqa: E731
    if isinstance(work, DotProduct):
        left, right = (str(ref) for ref in step.operands)
        row, column = (", ".join(n(t[k]) for t in work.terms) for k in (0, 1))
        first = f"{_factor(n(work.terms[0][0]))}·{_factor(n(work.terms[0][1]))}"
        meet = f"row {index[0] + 1} of {left} ({row}) meets column {index[1] + 1} of {right} ({column})"
        return f"{meet}: the sum starts {first} + …"
    if isinstance(work, Sum):
        line = AXIS_WORD[trace.layout]
        terms = ", ".join(n(x) for x in work.terms)
        source = short(step.operands[0].name)
        return f"{line} {index[0] + 1} of {source} ({terms}): the sum starts {n(work.terms[0])} + …"
    source = cell_label((short(step.operands[0].name), index)) if step.operands else ""
    if isinstance(work, Quotient):
        j = index[1] if trace.layout == "columns" else index[0]
        return f"{step.formula}: here {source} = {n(work.numerator)} over sums[{j + 1}] = {n(work.denominator)}"
    if isinstance(work, Scaling):
        return f"{step.formula}: here {source} = {n(work.dividend)}"
    if isinstance(work, Masking):
        return f"{step.formula}: here {source} = {n(work.source)}; {NEG_INF} (typed -inf) where the mask blocks the key"
    if isinstance(work, Power):
        return f"{step.formula}: here {source} = {n(work.exponent)}"
    return f"{step.formula}: this cell is {cell_label((work.source, work.source_index))}"  # a Copy


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") or "/" in text else text


def _count(k: int, word: str, words: str | None = None) -> str:
    return f"{k} {word if k == 1 else words or word + 's'}"


def _verdict(event: Event) -> Line:
    sign = SIGN[event.verdict]
    if event.verdict == RIGHT:
        return f"  {sign} right", RIGHT
    if event.verdict == WRONG:
        return f"  {sign} wrong: try again (h for a hint, s to skip)", WRONG
    if event.verdict == CARRIED:
        if not event.causes:
            return f"  {sign} carried: right from your own earlier numbers, not from the true ones", CARRIED
        cells = ", ".join(cell_label(cell) for cell in event.causes)
        which = "which is wrong; fix that cell" if len(event.causes) == 1 else "which are wrong; fix those cells"
        return f"  {sign} carried: right from your own {cells}, {which}", CARRIED
    return f"  {sign} {event.verdict}", event.verdict or ""


# --- the grids ---------------------------------------------------------------------------------
def _context(session: Session, step: Step, index, precision: int):
    """Builders of the grids to draw, ``edge`` → Grid: what the step reads, then the step.

    A product is one grid (its operands above and beside it); the sums are drawn under
    the exponentials; an elementwise step under the grids it reads (A: exp and its sums)."""
    trace = session.trace
    this = Matrix(short(step.name), step.value, step.rows, step.cols, cells=_cells(session, step), keep=_keep(index))
    if step.kind == PRODUCT:
        left, right = (operand(trace, ref, _own(session, ref.name, precision)) for ref in step.operands)
        return [lambda edge: product(left, right, this, precision, edge)]
    if step.kind == SUMS:
        exp = _block(session, step.operands[0].name, precision, keep=_sum_keep(index, trace.layout))
        return [lambda edge: sums(exp, step, trace.layout, precision, edge, this.cells)]
    builders = []
    read = list(reads(step, trace))
    for name in read:
        source = trace[name]
        if source.kind == SUMS:
            exp = _block(session, source.operands[0].name, precision, keep=_keep(index))
            cells = _own(session, name, precision)
            builders.append(lambda edge, e=exp, s=source, c=cells: sums(e, s, trace.layout, precision, edge, c))
        elif not any(trace[other].kind == SUMS and trace[other].operands[0].name == name for other in read):
            block = _block(session, name, precision, keep=_keep(index))
            builders.append(lambda edge, block=block: matrix(block, precision, edge))
    return [*builders, lambda edge: matrix(this, precision, edge)]


def _block(session: Session, name: str, precision: int, keep) -> Matrix:
    """A step read by the current one, by its short name unless it is another head's (h1.Z)."""
    source = session.trace[name]
    label = short(name) if head_of(name) == head_of(session.current[0]) else name
    return Matrix(label, source.value, source.rows, source.cols, OPERAND, _own(session, name, precision), keep)


def _keep(index) -> tuple:
    return tuple(index) if len(index) == 2 else (None, None)


def _sum_keep(index, layout: str) -> tuple:
    return (None, index[0]) if layout == "columns" else (index[0], None)


def _own(session: Session, name: str, precision: int) -> np.ndarray | None:
    """A step the student gave numbers for, as Cells of their numbers (the true one where
    they left a cell blank); None for a step they did not."""
    if not any(cell[0] == name for cell in session.entries):
        return None
    step = session.trace[name]
    cells = np.empty(step.shape, dtype=object)
    for index in np.ndindex(*step.shape):
        entry = session.entries.get((name, index))
        shown = format_number(step.value[index], precision) if entry is None or entry.blank else _shown(entry)
        cells[index] = Cell(shown, OPERAND)
    return cells


def _cells(session: Session, step: Step) -> np.ndarray:
    """The step being worked: each entry with its mark, ``_`` where skipped, ``?`` where not
    done yet, and the current cell in brackets."""
    cells = np.empty(step.shape, dtype=object)
    for index in np.ndindex(*step.shape):
        cell = (step.name, index)
        entry, verdict = session.entries.get(cell), session.verdict(cell)
        if entry is None:
            text = NOT_YET
        elif entry.blank:
            text = SKIPPED_TEXT
        else:
            text = f"{_shown(entry)} {SIGN[verdict]}"
        current = cell == session.current
        cells[index] = Cell(f"[{text}]", CURRENT) if current else Cell(text, verdict or BLANK)
    return cells


def _shown(entry: Entry) -> str:
    return NEG_INF if entry.text == "-inf" else entry.text

