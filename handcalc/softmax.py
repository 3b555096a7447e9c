"""The softmax, as it is done by hand: exponentials, their sums, and each divided by its sum.

``exponentials`` is shared with attention; ``compute`` is the softmax calculator: the Trace
of ``softmax(x / T)`` for a vector or for every column (or row) of a matrix.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from handcalc.errors import NumericError, SchemaError
from handcalc.numbers import NotANumber, describe, parse_number
from handcalc.problem import MAX_DIM, as_base, as_matrix, as_temperature
from handcalc.steps import (
    A_FORMULA,
    AXIS_WORD,
    LAYOUTS,
    Ref,
    base_text,
    exp_formula,
    sums_formula,
    temperature_formula,
)
from handcalc.trace import ELEMENTWISE, INPUT, SUMS, Step, Trace

TITLE = "Softmax by hand"
MAX_EXACT_POWER = 64  # 3**64 has 31 digits: beyond it a fraction is no help by hand


def exponentials(x: np.ndarray, base, shift: bool = False) -> tuple[np.ndarray, bool]:
    """``base ** x`` for every cell, and whether each column's max had to be subtracted.

    Subtracting a column's maximum divides that column by a constant, which the softmax
    cancels: it is done only where ``base ** x`` would overflow or every cell underflow,
    or with ``shift`` (a problem's ``round:`` would round a whole column to 0)."""
    def power(values: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(values) if base == "e" else np.power(float(base), values)

    exp = power(x)
    with np.errstate(over="ignore"):
        sums = exp.sum(axis=0)
    if not shift and np.isfinite(exp).all() and np.isfinite(sums).all() and (sums > 0).all():
        return exp, False
    return power(x - x.max(axis=0)), True  # (m, n) - (n,): every column's max becomes 0


def exact_powers(x: np.ndarray, base) -> np.ndarray | None:
    """``base ** x`` as exact Fractions when it is rational: a rational base and whole
    exponents (``3 ** -1 = 1/3``; a blocked cell, −∞, gives 0); else None."""
    if x.dtype != object or base == "e":
        return None
    cells = [x_ij for x_ij in x.flat if x_ij != -math.inf]
    if not all(c.denominator == 1 and abs(c) <= MAX_EXACT_POWER for c in cells):
        return None
    power = np.vectorize(lambda c: Fraction(0) if c == -math.inf else Fraction(base) ** int(c), otypes=[object])
    return power(x)


def base_constants(base) -> tuple:
    """The exp step's record of its base: none for e, else ("base", the number)."""
    return () if base == "e" else (("base", base),)


def irrational_note(what: str) -> str:
    """The note where exact arithmetic ends: ``√2 is not a fraction …``."""
    return f"{what} is not a fraction, so from here on the values are decimals."


def divisor_text(constants) -> str:
    """The divisor of the scores as written: ``√2``, ``(√2 · T)``, from a step's constants."""
    named = dict(constants)
    parts = [f"√{named['d_k']}" if "d_k" in named else "s" if "s" in named else "", "T" if "T" in named else ""]
    return " · ".join(part for part in parts if part) or "1"


# --- the softmax calculator ---------------------------------------------------------------
def compute(x, *, axis: str | None = None, base="e", temperature=1, title: str = TITLE) -> Trace:
    """The steps of ``A = softmax(x / T)`` with ``base`` in place of e, written by hand.

    ``x`` is a vector (a list of numbers, shown as one row unless ``axis`` is "columns") or
    a matrix (a list of rows); ``axis`` says which lines of the matrix are the distributions
    (default: its columns). Numbers may be texts such as ``"1/3"`` or ``"-.5"``."""
    values = as_values(x)
    layout = axis or ("rows" if values.ndim == 1 else "columns")
    if layout not in LAYOUTS:
        raise SchemaError(f"axis must be columns or rows, not {describe(layout)}", path=("axis",))
    b, T = as_base(base), as_temperature(temperature)
    if values.ndim == 1:  # (n,) -> (1, n) in rows, (n, 1) in columns: one distribution
        values = values.reshape((1, -1) if layout == "rows" else (-1, 1))
    with np.errstate(all="ignore"):  # no RuntimeWarning on stderr: every step is checked instead
        return Trace(title, layout, None, tuple(_steps(values.astype(float), layout, b, T)))


def _steps(x: np.ndarray, layout: str, base, T: Fraction) -> list[Step]:
    """x, scaled, exp, sums, A. ``x`` is (m, n) in the layout's orientation; the arithmetic
    is done with every distribution a column, and each step written back in the layout."""
    rows, cols = _labels(x.shape)
    to_layout = (lambda v: v) if layout == "columns" else (lambda v: v.T)  # its own inverse

    def step(name, value, kind, formula, source=None, constants=(), notes=()) -> Step:
        check_finite(name, value)
        if kind == SUMS:  # (n,): one sum per distribution, labelled like it
            labels = ((), cols) if layout == "columns" else (rows, ())
        else:
            value, labels = np.array(to_layout(value)), (rows, cols)  # a copy, made read-only by Step
        operands = (Ref(source),) if source else ()
        return Step(name, formula, value, *labels, kind, operands, constants, notes)

    x = to_layout(x)  # (m, n): every column is one distribution
    steps = [step("x", x, INPUT, "x, given")]
    source = "x"
    if T != 1:
        x = x / float(T)  # (m, n)
        steps.append(step("scaled", x, ELEMENTWISE, temperature_formula(source), source, (("T", float(T)),)))
        source = "scaled"
    exp, shifted = exponentials(x, base)  # (m, n): base ** x, or base ** (x − column max)
    notes = (shift_note(layout, x.shape[1]),) if shifted else ()
    formula = exp_formula(base_text(base), source, shifted, layout)
    steps.append(step("exp", exp, ELEMENTWISE, formula, source, base_constants(base), notes))
    sums = exp.sum(axis=0)  # (n,): Σ over each column
    steps.append(step("sums", sums, SUMS, sums_formula(layout), "exp"))
    steps.append(step("A", exp / sums, ELEMENTWISE, A_FORMULA, "exp"))  # (m, n) / (n,): every column sums to 1
    return steps


def _labels(shape: tuple[int, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A vector's entries are x1…xn (its other axis unlabelled); a matrix's lines r1…, c1…."""
    m, n = shape
    if m == 1:
        return ("",), _numbered("x", n)
    if n == 1:
        return _numbered("x", m), ("",)
    return _numbered("r", m), _numbered("c", n)


def _numbered(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


def shift_note(layout: str, distributions: int) -> str:
    """The note under ``exp`` when the maxima were subtracted (one distribution: singular)."""
    whose = "The" if distributions == 1 else f"Each {AXIS_WORD[layout]}'s"
    return (
        f"{whose} largest value was subtracted before exponentiating, "
        "so that no number overflows or rounds to nothing; A is unchanged by it."
    )


def check_finite(name: str, value: np.ndarray, masked: bool = False) -> None:
    """No nan and no infinity, but the −∞ of blocked cells in a ``masked`` step."""
    infinite = np.isposinf(value) if masked else np.isinf(value)
    if np.isnan(value).any() or infinite.any():
        raise NumericError(f"{name} overflows double precision: the inputs are too large", path=(name,))


def as_values(x) -> np.ndarray:
    """``x`` as exact Fractions: a vector (n,) when no item is a list, else a matrix (m, n).

    A bad cell raises a SchemaError whose ``path`` is ``("x", j)`` or ``("x", i, j)``."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)) and any(isinstance(item, (list, tuple)) for item in x):
        return as_matrix("x", x)
    if not isinstance(x, (list, tuple)):
        raise SchemaError(f"expected a list of numbers or a list of rows, found {describe(x)}", path=("x",))
    if not x:
        raise SchemaError("no numbers: give at least one", path=("x",))
    if len(x) > MAX_DIM:
        raise SchemaError(f"x has {len(x)} numbers; handcalc takes at most {MAX_DIM}", path=("x",))
    vector = np.empty(len(x), dtype=object)
    for j, cell in enumerate(x):
        try:
            vector[j] = parse_number(cell)
        except NotANumber as error:
            raise SchemaError(f"x[{j + 1}]: {error}", path=("x", j)) from None
    return vector
