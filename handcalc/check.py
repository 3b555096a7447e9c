"""Marking a student's answers cell by cell, as a teacher does (``handcalc check``).

``mark(trace, answers)`` compares every given cell with the true value, allowing half a
unit in the last place the student wrote (``0.26`` and ``0.258`` are right for 0.2577,
``0.25`` is not), or an absolute ``tolerance``. A wrong cell that is right when the step is
recomputed from the student's *own* earlier answers is ``carried`` (error carried forward),
counted apart. The core prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from handcalc.trace import Trace

RIGHT, WRONG, BLANK, CARRIED = "right", "wrong", "blank", "carried"
EXACT = -1  # ``places`` of a cell written exactly: a fraction such as "1/3"


@dataclass(frozen=True)
class Answer:
    """One answered step: ``given`` as floats in the layout's orientation (nan: left
    blank, −∞: a masked cell) and ``places``, the decimals written in each cell (``EXACT``
    for a fraction); ``where`` maps a cell to its (line, column) in the answers file;
    ``texts`` the cells written as something that is not a number (a filled PDF form), each
    wrong and nan in ``given``."""

    name: str
    given: np.ndarray
    places: np.ndarray
    where: dict[tuple[int, ...], tuple[int, int]] = field(default_factory=dict, compare=False)
    texts: dict[tuple[int, ...], str] = field(default_factory=dict, compare=False)


def agrees(given: np.ndarray, places: np.ndarray, expected: np.ndarray, tolerance: float | None = None) -> np.ndarray:
    """Per cell, whether ``given`` is right for ``expected`` as a teacher marks it.

    With ``tolerance``: |given − expected| ≤ tolerance. Else: half a unit in the last
    written place (a whole number for a value that is not whole is read to 2 places, so that
    "0" is not right for 0.446); a fraction must be exact to 1e-9. −∞ agrees with −∞ only;
    a blank (nan) agrees with nothing."""
    expected = np.asarray(expected, dtype=float)
    whole = np.isclose(expected, np.round(expected), rtol=0, atol=1e-9)
    if tolerance is not None:
        bound = np.full(given.shape, float(tolerance))
    else:
        written = np.where((places == 0) & ~whole, 2, places)
        bound = np.where(written == EXACT, 1e-9, 0.5 * 10.0 ** -np.maximum(written, 0) + 1e-12)
    with np.errstate(invalid="ignore"):
        close = np.abs(given - expected) <= bound
    both_masked = np.isneginf(given) & np.isneginf(expected)
    return (close & np.isfinite(given) & np.isfinite(expected)) | both_masked


Matches = Callable[[np.ndarray], bool]  # whether a candidate matrix is what the student wrote


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
        """What the student wrote, for a message: their text, or the number (``%g``)."""
        return self.text if self.text is not None else f"{self.given:g}"


@dataclass(frozen=True)
class StepMarks:
    """An answered step, every cell marked; ``diagnosis`` names a classic mistake."""

    name: str
    cells: tuple[CellMark, ...]
    diagnosis: str | None = None

    def count(self, verdict: str) -> int:
        return sum(cell.verdict == verdict for cell in self.cells)

    @property
    def first_wrong(self) -> CellMark | None:
        return next((cell for cell in self.cells if cell.verdict == WRONG), None)


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
        return self.error is None and all(step.count(RIGHT) == len(step.cells) for step in self.steps)


def mark(
    trace: Trace, answers: list[Answer], file: str, tolerance: float | None = None, digits: int | None = None
) -> Marks:
    """Every given cell marked right, wrong, blank or carried, and each wrong step diagnosed;
    ``digits`` is the problem's ``round:``, which the recomputed (carried) values follow too."""
    from handcalc.diagnose import diagnose
    from handcalc.ecf import carried_forward

    carried = carried_forward(trace, {answer.name: answer.given for answer in answers}, digits=digits)
    order = {name: i for i, name in enumerate(trace.names)}
    steps = []
    for answer in sorted(answers, key=lambda answer: order[answer.name]):
        expected = _floats(trace[answer.name].value)
        verdicts = _verdicts(answer, expected, carried.get(answer.name), tolerance)
        cells = tuple(
            CellMark(index, float(answer.given[index]), float(expected[index]), verdicts[index], int(answer.places[index]),
                     answer.texts.get(index))
            for index in np.ndindex(expected.shape)
        )
        diagnosis = None
        if WRONG in verdicts or CARRIED in verdicts:
            diagnosis = diagnose(trace, answer.name, _matcher(answer, tolerance))
        steps.append(StepMarks(answer.name, cells, diagnosis))
    return Marks(file, tuple(steps))


def _verdicts(answer: Answer, expected: np.ndarray, carried: np.ndarray | None, tolerance: float | None) -> np.ndarray:
    """right, wrong, blank or carried for each cell; a blank masked cell is right."""
    blank = np.isnan(answer.given)
    right = agrees(answer.given, answer.places, expected, tolerance) | (blank & np.isneginf(expected))
    verdicts = np.where(right, RIGHT, np.where(blank, BLANK, WRONG)).astype(object)
    if carried is not None:
        from_own = agrees(answer.given, answer.places, _floats(carried), tolerance)
        verdicts[(verdicts == WRONG) & from_own] = CARRIED
    for index in answer.texts:  # not a number: wrong, whatever the cell holds
        verdicts[index] = WRONG
    return verdicts


def _matcher(answer: Answer, tolerance: float | None) -> Matches:
    """Whether a candidate matrix is what the student wrote, blanks aside."""

    def matches(candidate: np.ndarray) -> bool:
        candidate = _floats(candidate)
        if candidate.shape != answer.given.shape:
            return False
        written = ~np.isnan(answer.given)
        return bool(written.any() and agrees(answer.given, answer.places, candidate, tolerance)[written].all())

    return matches


def _floats(value: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=float)


def report_rows(all_marks: list[Marks], ecf: bool = False) -> list[list]:
    """A grades table: a header, then per file its score (a share of 1), each step's
    ``right/total`` and the first mistake (or why the file could not be read)."""
    names = list(dict.fromkeys(step.name for marks in all_marks for step in marks.steps))
    rows: list[list] = [["file", "score", *names, "first mistake"]]
    for marks in all_marks:
        by_name = {step.name: step for step in marks.steps}
        done = [_fraction_right(by_name[name], ecf) if name in by_name else "" for name in names]
        score = marks.score(ecf)
        rows.append([marks.file, "" if score is None else round(score, 4), *done, marks.error or _first_mistake(marks)])
    return rows


def _fraction_right(step: StepMarks, ecf: bool) -> str:
    return f"{step.count(RIGHT) + (step.count(CARRIED) if ecf else 0)}/{len(step.cells)}"


def _first_mistake(marks: Marks) -> str:
    for step in marks.steps:
        if (cell := step.first_wrong) is not None:
            index = ",".join(str(i + 1) for i in cell.index)
            return f"{step.name}[{index}]: wrote {cell.written}, expected {cell.expected:.6g}"
    return ""
