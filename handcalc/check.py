"""Marking a student's answers cell by cell, as a teacher does (``handcalc check``).

A written number stands for the interval its decimals allow (``handcalc.marking.precision``),
and each step is worked out again from the student's own earlier answers, carrying those
intervals (``handcalc.marking.chains``). A cell is

- **right** when it follows from the student's *right* earlier values (the true ones where
  they were wrong or wrote nothing), within the precision they wrote: a student who rounds
  every step, divides by a rounded √d_k or uses e ≈ 2.718 is right; ``0.25`` is still wrong
  for 0.2577, a fraction must be exact, and ``tolerance`` sets an absolute bound instead;
- **carried** when it follows only from their *wrong* earlier values (error carried forward);
- **wrong** otherwise, or **blank**.

A step with wrong cells is diagnosed once, from the student's own earlier numbers
(``handcalc.diagnose``); a step that follows from an earlier mistake says which
(``carried_from``). Many files are marked together, in whole-array arithmetic. The core
prints nothing.

Function-level API: ``mark`` (one file), ``mark_many`` (a class), ``mark_step`` (one step
given the earlier answers, as a practice session asks), ``agrees`` (one comparison).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from dataclasses import dataclass, field

import numpy as np

from handcalc.api_calls import callable_module
from handcalc.marking.precision import EXACT, Interval
from handcalc.trace import Trace

RIGHT, WRONG, BLANK, CARRIED = "right", "wrong", "blank", "carried"
VERDICTS = (RIGHT, WRONG, BLANK, CARRIED)  # the codes 0 … 3 of a verdict array
__all__ = ["EXACT", "RIGHT", "WRONG", "BLANK", "CARRIED", "Answer", "CellMark", "StepMarks", "Marks",
           "agrees", "mark", "mark_many", "mark_step", "report_rows"]  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """One answered step: ``given`` as floats in the layout's orientation (nan: left
    blank, −∞: a masked cell) and ``places``, the decimals written in each cell (``EXACT``
    for a fraction, negative for ``5.048e+12``); ``texts`` the cells written as something that is not a number (a
    filled PDF form), each wrong and nan in ``given``. ``transposed``: the student wrote the
    step with its rows and columns swapped (a non-square step); ``given`` is then turned
    back to the step's shape."""

    name: str
    given: np.ndarray
    places: np.ndarray
    texts: dict[tuple[int, ...], str] = field(default_factory=dict, compare=False)
    transposed: bool = False


def agrees(given: np.ndarray, places: np.ndarray, expected: np.ndarray, tolerance: float | None = None) -> np.ndarray:
    """Per cell, whether ``given`` (written to ``places``) is right for the exact value
    ``expected``: half a unit in the last written place, or within ``tolerance``."""
    from handcalc.marking.precision import agrees as within

    expected = np.asarray(expected, dtype=float)
    given = np.asarray(given, dtype=float)
    return within(given[None], np.asarray(places)[None], Interval.point(expected), expected, tolerance)[0]


@dataclass(frozen=True)
class CellMark:
    """One cell of an answered step: 0-based index, what was written, what is true."""

    index: tuple[int, ...]
    given: float
    expected: float
    verdict: str
    places: int = 0  # the decimals written (EXACT for a fraction)
    text: str | None = None  # what was written where it is not a number

    @property
    def written(self) -> str:
        """What the student wrote, for a message: their text, or the number with its decimals."""
        from handcalc.numbers import format_number

        if self.text is not None:
            return self.text
        return format_number(self.given, min(max(self.places, 0), 15) if self.places < EXACT else 6)


@dataclass(frozen=True)
class StepMarks:
    """An answered step, every cell marked; ``diagnosis`` names a classic mistake;
    ``carried_from`` names the earlier answered steps whose mistakes its carried cells
    follow from (``("scores",)``)."""

    name: str
    cells: tuple[CellMark, ...]
    diagnosis: str | None = None
    carried_from: tuple[str, ...] = ()

    def count(self, verdict: str) -> int:
        return self._counts.get(verdict, 0)

    @cached_property
    def _counts(self) -> dict[str, int]:
        """How many cells have each verdict (counted once: a class's summaries ask often)."""
        return Counter(cell.verdict for cell in self.cells)

    @property
    def first_wrong(self) -> CellMark | None:
        return next((cell for cell in self.cells if cell.verdict == WRONG), None)

    @property
    def note(self) -> str | None:
        """``follows from your scores`` for a step whose carried cells follow from an
        earlier mistake."""
        if not self.carried_from or not self.count(CARRIED):
            return None
        return f"follows from your {' and '.join(self.carried_from)}"


@dataclass(frozen=True)
class Marks:
    """One answers file, marked: its steps in the trace's order, or why it could not be read."""

    file: str
    steps: tuple[StepMarks, ...] = ()
    error: str | None = None

    def score(self, ecf: bool = False) -> float | None:
        """The share of cells right (carried cells too, with ``ecf``); None if unreadable."""
        total = sum(len(step.cells) for step in self.steps)
        if self.error is not None or not total:
            return None
        right = sum(step.count(RIGHT) + (step.count(CARRIED) if ecf else 0) for step in self.steps)
        return right / total

    @property
    def all_right(self) -> bool:
        return self.passed(ecf=False)

    def passed(self, ecf: bool = False) -> bool:
        """Every cell right (or carried, with ``ecf``): the exit code's 0."""
        ok = (RIGHT, CARRIED) if ecf else (RIGHT,)
        return self.error is None and all(cell.verdict in ok for step in self.steps for cell in step.cells)


def mark(
    trace: Trace, answers: list[Answer], file: str, tolerance: float | None = None, digits: int | None = None
) -> Marks:
    """Every given cell marked right, wrong, blank or carried, and each wrong step diagnosed;
    ``digits`` is the problem's ``round:``, which the recomputed values follow too."""
    return mark_many(trace, [answers], [file], tolerance, digits)[0]


def mark_many(
    trace: Trace,
    answer_sets: Sequence[list[Answer]],
    files: Sequence[str],
    tolerance: float | None = None,
    digits: int | None = None,
) -> list[Marks]:
    """``mark`` for many answers files at once, in whole-array arithmetic over the files."""
    from handcalc.marking.batch import CHUNK_CELLS, mark_arrays

    size = max(1, sum(int(np.prod(step.shape)) for step in trace)) * 20
    chunk = max(1, CHUNK_CELLS // size)
    marks: list[Marks] = []
    for start in range(0, len(files), chunk):
        marks += mark_arrays(trace, answer_sets[start : start + chunk], files[start : start + chunk], tolerance, digits)
    return marks


def mark_step(
    trace: Trace,
    answer: Answer,
    earlier: list[Answer] = (),
    tolerance: float | None = None,
    digits: int | None = None,
) -> StepMarks:
    """One step marked as ``check`` marks it, given the student's ``earlier`` answers (the
    steps before it; the true values stand for the steps not among them)."""
    marks = mark(trace, [*earlier, answer], "", tolerance, digits)
    return next(step for step in marks.steps if step.name == answer.name)


def report_rows(all_marks: list[Marks], ecf: bool = False) -> list[list]:
    """A grades table: a header, then per file its score (a share of 1), each step's
    ``right/total`` and the first mistake (or why the file could not be read)."""
    names = list(dict.fromkeys(step.name for marks in all_marks for step in marks.steps))
    rows: list[list] = [["file", "score", *names, "first mistake"]]
    for marks in all_marks:
        by_name = {step.name: step for step in marks.steps}
        done = [_fraction_right(by_name[name], ecf) if name in by_name else "" for name in names]
        score = marks.score(ecf)
        rows.append([marks.file, "" if score is None else round(score, 4), *done, marks.error or first_mistake(marks)])
    return rows


def _fraction_right(step: StepMarks, ecf: bool) -> str:
    return f"{step.count(RIGHT) + (step.count(CARRIED) if ecf else 0)}/{len(step.cells)}"


def first_mistake(marks: Marks) -> str:
    """Why a file is not full marks: its first wrong cell, what was written and what is
    true, and the diagnosis of its step; else its first blank cell (or "nothing written");
    "" for a file all right."""
    for step in marks.steps:
        if (cell := step.first_wrong) is not None:
            index = ",".join(str(i + 1) for i in cell.index)
            why = f" ({step.diagnosis})" if step.diagnosis else ""
            return f"{step.name}[{index}]: wrote {cell.written}, expected {cell.expected:.6g}{why}"
    if marks.steps and all(cell.verdict == BLANK for step in marks.steps for cell in step.cells):
        return "nothing written"
    for step in marks.steps:
        if (cell := next((c for c in step.cells if c.verdict == BLANK), None)) is not None:
            return f"{step.name}[{','.join(str(i + 1) for i in cell.index)}]: blank"
    return ""



callable_module(__name__, "check")  # handcalc.check(trace, answers): the marks (handcalc.api.check)
