"""A practice session: a student works the steps of a trace by hand, cell by cell, and each
entry is marked at once (``handcalc practice``).

The session is data (:class:`Session`); :func:`advance` takes one line the student typed
(a number, or one of the letters of :data:`COMMANDS`) and returns the new session and what
happened (:class:`Event`). Every verdict is ``check.mark`` over all the entries so far, and a
finished step's classic mistake is ``check``'s diagnosis of the numbers first typed in it:
this module decides no verdict of its own. Pure core code: it prints nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from handcalc.check import CARRIED, EXACT, WRONG, Answer, Marks, StepMarks, mark
from handcalc.numbers import NotANumber
from handcalc.trace import INPUT, Trace
from handcalc.work import Index, reading_order, reads

Cell = tuple[str, Index]  # a step's name and a 0-based cell in the layout's orientation: ("A", (1, 0))

HINT, WORK, SKIP, BACK, QUIT, HELP, KEEP = "h", "w", "s", "b", "q", "?", ""
COMMANDS = {
    HINT: "a hint: the row and column that meet here, then the work with the result blanked",
    WORK: "the work of this cell, with its answer",
    SKIP: "skip this cell (it counts as blank)",
    BACK: "back to the previous cell",
    QUIT: "stop (and save, with --save)",
}
ROW_AND_COLUMN, BLANKED_WORK, FULL_WORK = 1, 2, 3  # the hint levels of a cell: h, h again, w
CAUSES_TRIED = 12  # wrong earlier cells tried as the cause of a carried entry, at most

# What an event is: an entry marked, a hint asked for, a cell skipped, a step or the walk done …
ENTERED, HINTED, SKIPPED, WENT_BACK, STOPPED, HELPED, INVALID, STEP_DONE, DONE = (
    "entered", "hinted", "skipped", "went back", "stopped", "helped", "invalid", "step done", "done",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One cell as the student wrote it: the text (``0.260``, ``9/13``, ``-inf``), its value
    and the decimals written (``EXACT`` for a fraction). A skipped cell is :data:`BLANK`."""

    text: str
    value: float
    places: int

    @property
    def blank(self) -> bool:
        return math.isnan(self.value)


BLANK = Entry("", math.nan, 0)


@dataclass(frozen=True)
class Event:
    """What one line of input did. ``verdict`` of an entry (right, carried, wrong);
    ``causes``: the wrong earlier cells a carried entry follows from; ``level`` of a hint;
    ``step`` a finished step as marked now, with ``diagnosis`` the classic mistake its
    first entries show; ``text`` why an input was not understood."""

    kind: str
    cell: Cell | None = None
    verdict: str | None = None
    causes: tuple[Cell, ...] = ()
    level: int = 0
    step: StepMarks | None = None
    diagnosis: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Session:
    """A walk through ``cells`` (each step's cells in reading order, the steps in the
    trace's order). ``entries`` holds the last entry of every cell worked (and of every cell
    of a resumed file), ``first`` the first one typed: what a step's diagnosis reads.
    ``marks`` is every entry marked as ``check`` marks it."""

    trace: Trace
    cells: tuple[Cell, ...]
    entries: Mapping[Cell, Entry]
    marks: Marks
    first: Mapping[Cell, Entry] = field(default_factory=dict)
    position: int = 0  # the current cell; len(cells) once every cell is done
    level: int = 0  # the hints shown for the current cell
    hints: int = 0
    retries: int = 0
    stopped: bool = False
    tolerance: float | None = None
    digits: int | None = None  # the problem's round:, which marking follows

    @property
    def current(self) -> Cell | None:
        return self.cells[self.position] if self.position < len(self.cells) else None

    @property
    def done(self) -> bool:
        return self.stopped or self.current is None

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps worked, in order."""
        return tuple(dict.fromkeys(name for name, _ in self.cells))

    def progress(self) -> tuple[str, int, int]:
        """The current step (the last one when done), its cells done (right, carried or
        skipped: not a wrong entry still to retry) and its cells."""
        name = (self.current or self.cells[-1])[0]
        cells = [cell for cell in self.cells if cell[0] == name]
        return name, sum(cell in self.entries and self.verdict(cell) != WRONG for cell in cells), len(cells)

    def verdict(self, cell: Cell) -> str | None:
        """How ``cell`` is marked now; None while it has no entry."""
        if cell not in self.entries:
            return None
        name, index = cell
        step = next((step for step in self.marks.steps if step.name == name), None)
        return None if step is None else next(c.verdict for c in step.cells if c.index == index)

    def answers(self) -> list[Answer]:
        """Every step with an entry, as ``check`` reads an answers file: nan where blank."""
        return answers_of(self.trace, self.entries)


def start(
    trace: Trace,
    steps: Iterable[str],
    resumed: Iterable[Answer] = (),
    tolerance: float | None = None,
    digits: int | None = None,
) -> Session:
    """A session over ``steps`` (names of computed steps of ``trace``), continuing from the
    answers ``resumed`` (as ``answers.load_answers`` reads them) at their first blank cell."""
    wanted = set(steps)
    cells = tuple((step.name, index) for step in trace if step.name in wanted and step.kind != INPUT
                  for index in reading_order(step.shape, trace.layout))  # fmt: skip
    if not cells:
        raise ValueError("no step to practise")
    entries = {
        (answer.name, index): Entry(entry_text(float(answer.given[index]), int(answer.places[index])),
                                    float(answer.given[index]), int(answer.places[index]))
        for answer in resumed for index in np.ndindex(answer.given.shape) if not np.isnan(answer.given[index])
    }  # fmt: skip
    position = next((k for k, cell in enumerate(cells) if cell not in entries), len(cells))
    marks = mark(trace, answers_of(trace, entries), "", tolerance, digits)
    return Session(trace, cells, entries, marks, dict(entries), position, tolerance=tolerance, digits=digits)


def advance(session: Session, line: str) -> tuple[Session, tuple[Event, ...]]:
    """The session after the student typed ``line``, and what happened."""
    if session.done:
        return session, (Event(DONE),)
    command = line.strip()
    cell = session.current
    if command.lower() in (HINT, WORK):
        level = FULL_WORK if command.lower() == WORK else min(session.level + 1, BLANKED_WORK)
        return dataclasses.replace(session, level=level, hints=session.hints + 1), (Event(HINTED, cell, level=level),)
    if command == HELP:
        return session, (Event(HELPED, cell),)
    if command.lower() == QUIT:
        return dataclasses.replace(session, stopped=True), (Event(STOPPED, cell),)
    if command.lower() == BACK:
        if session.position == 0:
            return session, (Event(INVALID, cell, text="this is the first cell: there is none before it"),)
        back = dataclasses.replace(session, position=session.position - 1, level=0)
        return back, (Event(WENT_BACK, back.current),)
    if command.lower() == SKIP:
        skipped = _with_entry(session, cell, BLANK)
        return _moved_on(skipped, Event(SKIPPED, cell))
    if command == KEEP:
        if cell in session.entries and session.verdict(cell) != WRONG:  # back at a cell done: keep it
            return _moved_on(session, Event(ENTERED, cell, verdict=session.verdict(cell)))
        return session, (Event(INVALID, cell, text="type a number, or h for a hint (? lists the letters)"),)
    try:
        entry = read_entry(command)
    except NotANumber as error:
        return session, (Event(INVALID, cell, text=f"{error}; or one of the letters (? lists them)"),)
    marked = _with_entry(session, cell, entry)
    verdict = marked.verdict(cell)
    if verdict == WRONG:  # asked again, until it is right or skipped
        return dataclasses.replace(marked, retries=marked.retries + 1), (Event(ENTERED, cell, verdict=verdict),)
    causes = _causes(marked, cell) if verdict == CARRIED else ()
    return _moved_on(marked, Event(ENTERED, cell, verdict=verdict, causes=causes))


def read_entry(text: str) -> Entry:
    """A typed number as an Entry: ``2``, ``-0.5``, ``0.260``, ``9/13``, ``-inf``."""
    from handcalc.answers import written_cell

    value, places = written_cell(text)
    if math.isnan(value):
        raise NotANumber("a blank is not typed: s skips the cell")
    return Entry("-inf" if math.isinf(value) else text.strip(), value, places)


def entry_text(value: float, places: int) -> str:
    """A number read from an answers file written again as the student wrote it."""
    if math.isinf(value):
        return "-inf"
    if places == EXACT:
        fraction = Fraction(value).limit_denominator(10**6)
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.{places}f}"


def cell_label(cell: Cell) -> str:
    """A cell as it is written, 1-based: ``A[2,1]``, ``sums[3]``."""
    name, index = cell
    return f"{name}[{','.join(str(k + 1) for k in index)}]"


def answers_of(trace: Trace, entries: Mapping[Cell, Entry]) -> list[Answer]:
    """The steps with an entry (a skip included) as Answers, in the trace's order."""
    answers = []
    for step in trace:
        cells = {index: entry for (name, index), entry in entries.items() if name == step.name}
        if not cells:
            continue
        given, places = np.full(step.shape, np.nan), np.zeros(step.shape, dtype=int)
        for index, entry in cells.items():
            given[index], places[index] = entry.value, entry.places
        answers.append(Answer(step.name, given, places))
    return answers


def answers_text(session: Session, source: str | None = None) -> str:
    """The entries as an answers file that ``handcalc check`` reads: each step a matrix
    (the sums a list), each number as typed, a blank as null."""
    lines = [f"# Answers worked with handcalc practice{f' ({source})' if source else ''}."]
    for answer in session.answers():
        texts = np.full(answer.given.shape, "null", dtype=object)
        for (name, index), entry in session.entries.items():
            if name == answer.name and not entry.blank:
                texts[index] = f'"{entry.text}"' if "/" in entry.text else entry.text
        rows = [texts] if texts.ndim == 1 else list(texts)
        indent = " " * (len(answer.name) + 3)
        body = f",\n{indent}".join("[" + ", ".join(row) + "]" for row in rows)
        lines.append(f"{answer.name}: {body}" if texts.ndim == 1 else f"{answer.name}: [{body}]")
    return "\n".join(lines) + "\n"


def final_marks(session: Session, file: str) -> Marks:
    """Every entry marked, under the name ``file``: what ``handcalc check`` says of the saved file."""
    return dataclasses.replace(session.marks, file=file)


# --- moving on ---------------------------------------------------------------------------------
def _with_entry(session: Session, cell: Cell, entry: Entry) -> Session:
    """``session`` with ``entry`` as the last entry of ``cell``, every entry marked again."""
    entries = {**session.entries, cell: entry}
    first = session.first if cell in session.first or entry.blank else {**session.first, cell: entry}
    marks = mark(session.trace, answers_of(session.trace, entries), "", session.tolerance, session.digits)
    return dataclasses.replace(session, entries=entries, first=first, marks=marks)


def _moved_on(session: Session, event: Event) -> tuple[Session, tuple[Event, ...]]:
    """To the next cell; a step done is marked, and diagnosed from its first entries."""
    name = session.current[0]
    moved = dataclasses.replace(session, position=session.position + 1, level=0)
    events = [event]
    if moved.current is None or moved.current[0] != name:
        step = next(step for step in moved.marks.steps if step.name == name)
        events.append(Event(STEP_DONE, step=step, diagnosis=_diagnosis(moved, name)))
    if moved.current is None:
        events.append(Event(DONE))
    return moved, tuple(events)


def _diagnosis(session: Session, name: str) -> str | None:
    """``check``'s diagnosis of step ``name`` as first typed (the other steps as they stand)."""
    firsts = {cell: entry for cell, entry in session.first.items() if cell[0] == name}
    entries = {cell: entry for cell, entry in session.entries.items() if cell[0] != name} | firsts
    if not firsts:
        return None
    marks = mark(session.trace, answers_of(session.trace, entries), "", session.tolerance, session.digits)
    return next(step.diagnosis for step in marks.steps if step.name == name)


def _causes(session: Session, cell: Cell) -> tuple[Cell, ...]:
    """The wrong earlier cells a carried entry follows from: those which, left blank (so
    that the true value stands for them), make the entry wrong."""
    upstream = _upstream(session.trace, cell[0])
    wrong = [(step.name, c.index) for step in session.marks.steps if step.name in upstream
             for c in step.cells if c.verdict == WRONG][:CAUSES_TRIED]  # fmt: skip
    causes = []
    for suspect in wrong:
        fixed = {**session.entries, suspect: BLANK}
        marks = mark(session.trace, answers_of(session.trace, fixed), "", session.tolerance, session.digits)
        step = next(step for step in marks.steps if step.name == cell[0])
        if next(c.verdict for c in step.cells if c.index == cell[1]) == WRONG:
            causes.append(suspect)
    return tuple(causes or wrong[:3])


def _upstream(trace: Trace, name: str) -> set[str]:
    """Every step whose cells the work of ``name`` reads, directly or through others."""
    found: set[str] = set()
    todo = [name]
    while todo:
        for read in reads(trace[todo.pop()], trace):
            if read not in found:
                found.add(read)
                todo.append(read)
    return found
