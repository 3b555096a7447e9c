"""Worksheets: which steps of a Trace a student fills in, and the sheet (or its key) as data.

``blank_steps`` reads ``--blank A,Z`` or a ``--level`` preset into step names; ``build`` makes
a :class:`Worksheet` — the title, the given steps, the blank steps, key or not, the variant —
that the worksheet renderers (Typst/PDF, HTML, Markdown) draw. Prints nothing.

A short name stands for every head's step of that name (``A`` is ``h1.A`` and ``h2.A``); a
full name (``h2.A``) or a head (``h2``: all of its computed steps) chooses more narrowly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from handcalc.errors import HandcalcError
from handcalc.steps import UnknownStep, named_steps, short
from handcalc.trace import INPUT, Step, Trace

LEVELS = {
    1: "only A and Z blank (in every head); every other step given",
    2: "every step from the scores on blank",
    3: "every step after the inputs blank",
}
DEFAULT_LEVEL = 3
_LEVEL1 = ("A", "Z")
_FROM_SCORES = ("scores", "scaled", "masked", "exp", "sums", "A", "Z", "concat", "output")


MAX_SIDE = 64  # rows or columns of any matrix on a sheet: 64 tokens print on about 130 pages


class SheetTooLarge(HandcalcError):
    """A problem too large to print every cell of (a bad input: exit 3)."""


class BlankError(HandcalcError):
    """``--blank`` names a step the problem does not have, or none at all (a usage error)."""

    exit_code = 2


def blank_steps(trace: Trace, blank: str | Iterable[str] | None = None, level: int | None = None) -> tuple[str, ...]:
    """The names of the steps to leave blank, in trace order.

    ``blank`` (``"A,Z"``, ``["h2.A"]``) and ``level`` (1, 2, 3) are exclusive; with neither,
    every computed step is blank (level 3)."""
    if blank is not None and level is not None:
        raise BlankError("give --blank or --level, not both")
    computed = [step.name for step in trace if step.kind != INPUT]
    if blank is None:
        level = DEFAULT_LEVEL if level is None else level
        if level not in LEVELS:
            raise BlankError(f"no level {level}; the levels are 1, 2 and 3")
        wanted = {1: _LEVEL1, 2: _FROM_SCORES, 3: None}[level]
        return tuple(name for name in computed if wanted is None or short(name) in wanted)
    words = [word.strip() for word in (blank.split(",") if isinstance(blank, str) else blank) if word.strip()]
    if not words:
        raise BlankError(f"--blank names no step; this problem's steps are: {', '.join(computed)}")
    inputs = [step.name for step in trace if step.kind == INPUT]
    for word in words:
        if _named(word, inputs) and not _named(word, computed):
            raise BlankError(f"--blank: {word!r} is given (an input); the steps that can be blank are: {', '.join(computed)}")
    try:
        return named_steps(words, computed)
    except UnknownStep as error:
        raise BlankError(f"--blank: {error.word!r} is not a step{error.hint()}; the steps that can be blank are: {', '.join(computed)}") from None


def _named(word: str, names: Sequence[str]) -> tuple[str, ...]:
    try:
        return named_steps([word], names)
    except UnknownStep:
        return ()


@dataclass(frozen=True)
class Worksheet:
    """One printable exercise: the trace it was made from and what the student fills in.

    ``key``: every blank is shown filled with its answer. ``variant``: the id printed on
    each page of a class set (``"V03"``), ``seed`` the generator seed it came from;
    ``student`` the name printed on the Name line (and at the head of each page of a key)."""

    title: str
    trace: Trace
    blanks: tuple[str, ...]
    key: bool = False
    precision: int = 3
    variant: str | None = None
    seed: int | None = None
    show_work: bool = False  # on a key: the arithmetic of each blank step's first cell
    round: int | None = None  # the problem's round: (carried rounding), said in the instructions
    student: str | None = None

    @property
    def given(self) -> tuple[Step, ...]:
        """The steps printed filled in: the inputs and every computed step not blank."""
        return tuple(step for step in self.trace if step.name not in self.blanks)

    @property
    def blank(self) -> tuple[Step, ...]:
        """The steps the student writes, in the order they are worked out."""
        return tuple(step for step in self.trace if step.name in self.blanks)

    def is_blank(self, name: str) -> bool:
        return name in self.blanks

    def prefilled(self, step: Step) -> np.ndarray:
        """Which cells of ``step`` are printed even when it is blank: the −∞ of the mask."""
        value = np.asarray(step.value)
        if value.dtype.kind == "f":
            return np.isneginf(value)
        return np.vectorize(lambda x: x == -np.inf, otypes=[bool])(value) if value.size else np.zeros(value.shape, bool)

    # In a notebook: the sheet (or key) as the HTML and Markdown worksheets draw it.
    def _repr_html_(self) -> str:
        from handcalc.render.notebook import sheet_html

        return sheet_html(self)

    def _repr_markdown_(self) -> str:
        from handcalc.render.notebook import sheet_markdown

        return sheet_markdown(self)

    def first_work(self, step: Step):
        """The arithmetic of ``step``'s first cell that is not pre-filled (None if none)."""
        from handcalc.work import cell_work, reading_order

        shown = self.prefilled(step)
        for index in reading_order(step.shape, self.trace.layout):
            if not shown[index]:
                return cell_work(step, self.trace, index)
        return None


def build(
    trace: Trace,
    blanks: tuple[str, ...],
    *,
    key: bool = False,
    precision: int = 3,
    variant: str | None = None,
    seed: int | None = None,
    show_work: bool = False,
    round: int | None = None,
    student: str | None = None,
) -> Worksheet:
    """The worksheet of ``trace`` with ``blanks`` (from :func:`blank_steps`) to fill in."""
    unknown = [name for name in blanks if name not in trace]
    if unknown:
        raise BlankError(f"no step {unknown[0]!r} in this problem")
    too_large = next((step for step in trace if max(step.shape, default=0) > MAX_SIDE), None)
    if too_large is not None:
        shape = "×".join(map(str, too_large.shape))
        raise SheetTooLarge(
            f"a worksheet prints every cell, of matrices up to {MAX_SIDE}×{MAX_SIDE}; this problem's "
            f"{too_large.name} is {shape} (handcalc run shows it)"
        )
    return Worksheet(trace.title, trace, tuple(blanks), key, precision, variant, seed, show_work and key, round, student)


def variant_id(number: int, count: int) -> str:
    """``V03`` for the third of up to 99 variants (``V003`` from 100 on): sorts as it reads."""
    return f"V{number:0{max(2, len(str(count)))}d}"


def variant_seeds(seed: int, count: int) -> list[int]:
    """The generator seed of each of ``count`` variants: ``seed``, ``seed + 1``, …"""
    return [seed + k for k in range(count)]
